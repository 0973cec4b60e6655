//! Interaction notes (互动备注): what a sales rep or the service desk types after a call, a
//! visit or a WeChat exchange. Each kind has its own templates — 咨询 asks about prices,
//! specs and delivery, 投诉 complains about delays and quality, 报修 reports faults,
//! 拜访 and 回访 record visits and follow-ups — filled with the customer's products, its
//! contact person, its rep, numbers, durations and reasons.

use kesou_domain::InteractionKind;

use crate::catalog::PRODUCTS;
use crate::people;
use crate::rng::Rng;
use crate::script::{Script, Words};
use crate::text::{expand, model};

static CONSULT: Words = Words::new(&[
    "客户询问{p}的价格，希望{1-7}天内给出报价",
    "{c}来电咨询{p}的规格参数，重点关注{k}",
    "咨询{p}的交货期，计划{1-12}月份采购{2-50}台",
    "客户了解{p}，询问是否支持{k}",
    "对方想了解批量采购{p}的折扣政策，预计数量{10-500}件",
    "咨询{p}和{q}的区别，需要提供技术资料",
    "客户要求提供{p}的样品及检测报告",
    "询问{p}能否开具增值税专用发票，希望账期{30-90}天",
    "了解{p}的售后保修政策，希望保修期延长到{2-5}年",
    "咨询{m}型号是否有替代方案，原型号已停产",
    "{c}询价：{p}，数量{2-100}，要求含税含运费报价",
    "客户在官网留言，想了解{p}的使用案例",
    "询问{p}能否在{w}到货，项目比较急",
    "咨询{p}升级方案，现有设备已使用{2-8}年",
    "客户要PDF版报价单和{p}的产品手册",
    "{c}问{p}有没有现货，{w}要用",
]);

static COMPLAINT: Words = Words::new(&[
    "客户投诉{p}交货延迟{3-20}天，影响{r}",
    "反映上批{p}存在质量问题，{x}，要求退换货",
    "投诉售后响应太慢，报修后{12-72}小时无人联系",
    "对账单金额有误，多收{200-9000}元，客户情绪较大",
    "投诉对接人服务态度差，要求更换对接人",
    "发票迟迟未开具，已拖延{5-40}天，财务催促",
    "到货包装破损，{1-30}件{p}受损，要求赔偿",
    "{c}投诉安装人员未按约定时间上门，耽误{1-3}天",
    "客户对{p}的价格上调不满，称{n}报价更低",
    "投诉{p}实际性能与宣传不符，{x}",
    "多次反映的问题仍未解决，客户表示考虑更换供应商",
    "物流信息{3-10}天未更新，{p}下落不明",
]);

static REPAIR: Words = Words::new(&[
    "{p}出现{f}，请求尽快上门维修",
    "设备{f}，远程指导{10-60}分钟未能解决，安排{s}{w}上门",
    "报修{p}，故障代码E{10-99}，{f}",
    "客户反映{p}使用{2-30}个月后{f}，仍在保修期内",
    "{c}来电报修：{p}{f}，影响正常使用",
    "{p}{f}，已寄回返厂检测，预计{3-15}个工作日",
    "现场{p}{f}，需更换{t}",
    "{s}上门检修{p}，更换{t}后恢复正常",
]);

static VISIT: Words = Words::new(&[
    "{o}上门拜访{c}，介绍新款{p}，对方有采购意向",
    "拜访客户{u}，沟通{Y}年采购计划，预算约{10-500}万元",
    "陪同{s}拜访客户，洽谈年度框架协议",
    "在{e}上与客户交流，留下联系方式，对{p}感兴趣",
    "拜访{c}，了解到客户正在扩建{u}，后续可能需要{p}",
    "上门演示{p}，客户技术负责人参加，反馈良好",
    "登门拜访，客户提出希望{g}",
    "拜访客户，对方表示{p}预算尚未批下来，{w}再联系",
]);

static FOLLOW_UP: Words = Words::new(&[
    "回访{p}使用情况，客户反馈{b}",
    "季度回访，客户满意度{6-10}分，建议{g}",
    "电话回访，对方表示近期暂无采购计划",
    "回访上次报修处理结果，设备已恢复正常",
    "节日问候，顺便了解{Y}年的采购需求",
    "回访{c}，对方对{p}整体满意，{b}",
    "回访未接通，已发短信留言",
    "回访客户，了解到原对接人已离职，新对接人待确认",
    "回访投诉处理情况，客户表示{b}",
]);

static CONCERNS: Words = Words::new(&[
    "能耗",
    "精度",
    "兼容性",
    "运行噪音",
    "交货周期",
    "质保期限",
    "售后响应时间",
    "数据安全",
    "本地化部署",
    "远程运维",
    "认证资质",
    "单价",
    "付款方式",
    "安装调试",
]);
static IMPACTS: Words = Words::new(&[
    "生产计划",
    "门店开业",
    "项目验收",
    "月底结算",
    "客户交付",
    "工程进度",
]);
static DEFECTS: Words = Words::new(&[
    "部分产品尺寸偏差超标",
    "外观有明显划痕",
    "批次合格率偏低",
    "使用不到一个月就出现故障",
    "说明书与实物不符",
    "配件缺失",
    "包装内混入其他型号",
]);
static FAULTS: Words = Words::new(&[
    "无法开机",
    "频繁死机",
    "异响",
    "温度过高",
    "漏水",
    "精度下降",
    "报警停机",
    "屏幕不亮",
    "无法联网",
    "数据不同步",
    "电池续航明显下降",
    "打印模糊",
    "制冷效果差",
    "运行卡顿",
    "传感器读数异常",
]);
static PARTS: Words = Words::new(&[
    "主板",
    "电源模块",
    "压缩机",
    "传感器",
    "显示屏",
    "皮带",
    "滤网",
    "控制面板",
    "电池组",
    "密封圈",
]);
static SITES: Words = Words::new(&[
    "工厂",
    "门店",
    "办公室",
    "生产基地",
    "仓库",
    "项目现场",
    "研发中心",
]);
static EXPOS: Words = Words::new(&[
    "广交会",
    "进博会",
    "高交会",
    "工博会",
    "数博会",
    "医博会",
    "农博会",
    "华南工业展",
    "上海国际物流展",
    "光伏展",
]);
static WISHES: Words = Words::new(&[
    "缩短交货周期",
    "提供分期付款",
    "增加培训服务",
    "开放API接口",
    "提供上门安装",
    "延长质保期",
    "给予年度返点",
]);
static FEEDBACK: Words = Words::new(&[
    "运行稳定",
    "操作简单易上手",
    "性价比较高",
    "交付及时",
    "售后响应快",
    "希望增加功能",
    "价格偏高",
    "培训不够充分",
    "对服务比较满意",
    "问题已经解决",
]);
static WHEN: Words = Words::new(&[
    "明天上午",
    "明天下午",
    "本周五",
    "下周一",
    "下周三",
    "月底前",
    "下个月初",
    "两周后",
]);
static RIVALS: Words = Words::new(&["同行", "其他供应商", "竞品厂家", "友商"]);
static TITLES: &[&str] = &["总", "总", "经理", "经理", "工", "主任", "女士", "先生"];
static PREFIXES: Words = Words::new(&["【重要】", "备注：", "跟进记录：", "【待办】"]);
static SUFFIXES: Words = Words::new(&[
    "，已记录",
    "，下次跟进时间{w}",
    "，已同步给{s}",
    "，需尽快回复",
    "，客户比较着急",
    "，已转技术部处理",
    "，已录入工单",
]);

/// What a note may mention about its customer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoteContext<'a> {
    /// The customer's products, `(catalogue index, weight)`.
    pub products: &'a [(usize, u32)],
    pub contact_surname: &'static str,
    pub owner: &'a str,
    pub year: i32,
    pub script: Script,
}

/// Appends a note of the given kind.
pub(crate) fn write_note(
    rng: &mut Rng,
    kind: InteractionKind,
    ctx: &NoteContext<'_>,
    out: &mut String,
) {
    let script = ctx.script;
    let templates = match kind {
        InteractionKind::Consult => &CONSULT,
        InteractionKind::Complaint => &COMPLAINT,
        InteractionKind::Repair => &REPAIR,
        InteractionKind::Visit => &VISIT,
        InteractionKind::FollowUp => &FOLLOW_UP,
    };
    if rng.chance(0.08) {
        out.push_str(PREFIXES.pick(rng, script));
    }
    let product = *rng.weighted_pick(ctx.products);
    let mut slot = |name: &str, rng: &mut Rng, out: &mut String| {
        let words = match name {
            "p" => {
                out.push_str(PRODUCTS.get(product, script));
                return;
            }
            "q" => {
                out.push_str(PRODUCTS.get(*rng.weighted_pick(ctx.products), script));
                return;
            }
            "c" => {
                out.push_str(ctx.contact_surname);
                out.push_str(rng.word(TITLES));
                return;
            }
            "o" => {
                out.push_str(ctx.owner);
                return;
            }
            "s" => {
                people::colleague(rng, out);
                return;
            }
            "m" => {
                model(rng, out);
                return;
            }
            "Y" => {
                out.push_str(&(ctx.year + rng.below(2) as i32).to_string());
                return;
            }
            "k" => &CONCERNS,
            "r" => &IMPACTS,
            "x" => &DEFECTS,
            "f" => &FAULTS,
            "t" => &PARTS,
            "u" => &SITES,
            "e" => &EXPOS,
            "g" => &WISHES,
            "b" => &FEEDBACK,
            "w" => &WHEN,
            "n" => &RIVALS,
            _ => {
                out.push_str(name);
                return;
            }
        };
        out.push_str(words.pick(rng, script));
    };
    expand(templates.pick(rng, script), rng, out, &mut slot);
    if rng.chance(0.3) {
        expand(SUFFIXES.pick(rng, script), rng, out, &mut slot);
    }
    if rng.chance(0.5) {
        out.push('。');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRODUCTS_OF: &[(usize, u32)] = &[(0, 1), (6, 3)];

    fn note(rng: &mut Rng, kind: InteractionKind, script: Script) -> String {
        let ctx = NoteContext {
            products: PRODUCTS_OF,
            contact_surname: "张",
            owner: "李明",
            year: 2024,
            script,
        };
        let mut s = String::new();
        write_note(rng, kind, &ctx, &mut s);
        s
    }

    #[test]
    fn notes_are_varied_and_fully_expanded() {
        let mut rng = Rng::new(11);
        let mut distinct = std::collections::HashSet::new();
        for kind in InteractionKind::ALL {
            for _ in 0..300 {
                let n = note(&mut rng, *kind, Script::Simplified);
                assert!(!n.contains('{') && !n.contains('}'), "{n}");
                assert!(n.chars().count() >= 6, "{n}");
                distinct.insert(n);
            }
        }
        assert!(distinct.len() > 1000, "{}", distinct.len());
    }

    #[test]
    fn complaints_and_repairs_talk_about_problems() {
        let mut rng = Rng::new(12);
        let problem = [
            "投诉",
            "问题",
            "延迟",
            "破损",
            "不满",
            "慢",
            "误",
            "未",
            "不符",
            "下落不明",
        ];
        for _ in 0..200 {
            let n = note(&mut rng, InteractionKind::Complaint, Script::Simplified);
            assert!(problem.iter().any(|w| n.contains(w)), "{n}");
        }
        let mut traditional = 0;
        for _ in 0..50 {
            let n = note(&mut rng, InteractionKind::Repair, Script::Traditional);
            traditional += kesou_domain::text::has_traditional(&n) as usize;
        }
        assert!(traditional > 40, "{traditional}");
    }
}
