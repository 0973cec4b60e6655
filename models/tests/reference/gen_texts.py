import json, random
r = random.Random(19)
cities = ["上海","北京","深圳","杭州","武汉","成都","鎮江","廣州","苏州","西安","重庆","长沙"]
trades = ["冷链物流","冷藏运输","锂电池制造","做电池的","企业SaaS","办公软件","医疗器械","医院设备供应商","客户管理软件","钢结构","新能源电池","光伏组件","种业","餐饮连锁","电子商务","建築工程","文化教育","跨境电商","工业机器人","食品加工"]
suffix = ["有限公司","有限责任公司","股份有限公司","有限責任公司","科技有限公司","集团"]
verbs = ["专注于","主营","提供","致力于","从事","長期經營"]
objs = ["生鲜食品的全程冷链配送","动力电池与储能系统的研发生产","中小企业的CRM与协同办公","三甲医院的影像设备与耗材","钢结构厂房的设计施工","农作物种子的育种与销售","连锁门店的中央厨房","跨境B2B出口业务","工业自动化产线集成","高校与职业培训服务"]
notes = ["客户反馈交货延迟，已协调物流。","电话回访：对售后服务满意，计划下季度追加订单。","投诉：设备故障两次，要求上门维修。","咨询新能源电池报价，预算约50万元。","拜访后客户表示考虑续约，需要报价单。","客户要求开具增值税专用发票（13%）。"]
en = ["Cold-chain logistics for fresh food across East China.","We build lithium battery packs for electric buses and energy storage.","SaaS CRM for small and medium businesses, with mobile apps.","Hospital equipment supplier: imaging systems, consumables and service contracts.","The customer called about a delayed shipment; we rescheduled delivery to Friday.","Steel structure design & construction for warehouses (ISO 9001 certified).","Quarterly review: revenue up 12.5% year over year, churn risk low.","Please send the invoice to accounts@example.com before 2026-03-31.","Don't forget the follow-up call — they're interested in the premium tier!","Café, naïve résumé, coöperate: accents should survive normalisation."]
mixed = ["SaaS CRM 客户管理软件","做冷藏运输的客户 in Shanghai","iPhone 15 Pro 维修服务","AI 大模型 + 企业知识库","B2B 跨境电商平台（Amazon / Shopify）","ERP系统实施，SAP与用友U8双平台","客户 ID: C0012353，lifecycle=成交","5G基站设备 & IoT 模组","GMP认证的医药冷链 (2-8°C)","新能源 EV charging 充电桩运营"]
odd = ["ＡＢＣ１２３ 全角字符","  leading spaces and   runs   of spaces  ","tabs\there\tand\nnewlines\r\n","emoji 😀🚀 客户很满意👍","日本語のテキスト：東京の会社です。","한국어 텍스트: 서울 회사","Ⅻ ① ㈱ ㍿ ﬁ ﬂ compat forms","","   ","零件编号：A-001/B-002；数量×3","“引号”‘单引号’「括号」《书名号》","…——～·","ⅰⅱⅲ ⑴⑵ ⒈⒉","𠮷野家 𩸽 (astral CJK)","Ω≈ç√∫˜µ≤≥÷","control\u0001chars\u0007here","soft\u00adhyphen and zero\u200bwidth","<s> literal </s> and <unk> and <pad>","ĀāĂă Ǻǻ Ǽǽ","مرحبا بالعالم","Привет, мир! Компания из Москвы.","Xin chào thế giới — công ty Việt Nam","१२३ हिन्दी पाठ","ไทย ภาษา บริษัท"]
texts = []
texts += en + mixed + odd + notes
for i in range(200):
    c = r.choice(cities); t = r.choice(trades)
    s = r.choice([
        f"{c}{t}{r.choice(suffix)}",
        f"{c}某公司{r.choice(verbs)}{r.choice(objs)}，年营收{r.randint(1,900)}万元。",
        f"{r.choice(verbs)}{r.choice(objs)}；{r.choice(notes)}",
        f"{t}",
        f"{c}{t}{r.choice(suffix)}{r.choice(verbs)}{r.choice(objs)}，客户遍布{r.choice(cities)}、{r.choice(cities)}等地。",
    ])
    texts.append(s)
for i in range(70):
    a = r.choice(en).split(); b = r.choice(trades)
    k = r.randint(1, len(a))
    texts.append(" ".join(a[:k]) + " " + b + r.choice(["", "。", "!", " 123", "（Ltd.）"]))
for i in range(40):
    texts.append(r.choice(en))
    texts[-1] = texts[-1].lower() if i % 2 else texts[-1].upper()
long = "。".join(r.choice(objs) + r.choice(notes) for _ in range(60))
texts.append(long)
seen=set(); out=[]
for t in texts:
    if t not in seen: seen.add(t); out.append(t)
json.dump(out, open("texts.json","w"), ensure_ascii=False, indent=0)
print(len(out))
