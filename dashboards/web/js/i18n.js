// The UI's two languages (Chinese by default, English by switch or ?lang=en, kept in
// localStorage) and the number formats managers read: 万/亿 in Chinese, K/M/B in English.

import { PROVINCES } from "./charts/provinces.js";

const STRINGS = {
  zh: {
    brand: "客搜",
    tagline: "企业客户档案检索与分析",
    skip: "跳到正文",
    nav_ask: "提问",
    nav_boards: "看板",
    nav_new_report: "新建报表",
    lang_switch: "English",
    meaning_waiting: "语义检索准备中…",
    meaning_distilling: "语义检索：提炼模型 {progress}",
    meaning_embedding: "语义检索：向量化客户 {progress}",
    meaning_ready: "语义检索已就绪",
    meaning_failed: "语义检索不可用，仅按字词检索",
    lang_switch_label: "切换到英文界面",
    question: "问题",
    ask: "提问",
    ask_placeholder: "例如：检索华东地区年采购额超百万的科技类客户",
    suggestions: "输入建议",
    examples: "可以这样问",
    understood_as: "理解为",
    chip_remove: "移除条件：{label}",
    chip_edit: "修改条件：{label}（回车重新提问，Esc 取消）",
    chip_edit_hint: "点击条件可修改原词，× 移除后重新提问",
    unrecognized: "没看懂：",
    partial: "部分理解：",
    partial_ignored: "这个答案忽略了 {words}",
    partial_add: "按文本搜索「{word}」",
    alternatives: "另一种理解：",
    no_answer: "没有找到匹配的客户",
    total_list: "共 {total} 家客户",
    total_groups: "共 {total} 组",
    chart_first_groups: "图表显示前 {shown} 组（共 {total} 组）",
    showing: "第 {from}–{to} 条",
    ordered_by: "排序：{by}",
    took: "用时 {ms} 毫秒",
    export_csv: "导出 CSV",
    subscribe: "订阅",
    subscribe_target: "推送到",
    subscribe_no_target: "不推送（只在订阅页列出）",
    subscribe_on: "何时提醒",
    subscribe_enter: "有客户进入时",
    subscribe_leave: "有客户离开时",
    subscribe_both: "进入或离开时",
    subscribe_save: "保存订阅",
    subscribed: "已订阅：现有 {n} 家客户，查看订阅",
    subscribe_every: "多久发送一次",
    subscribe_weekly: "每周（周报）",
    subscribe_daily: "每天",
    subscribed_report: "已订阅：报表将按时发送，查看订阅",
    subscribe_view: "按当前筛选：{view}",
    watch_report: "报表 {board} · {every}",
    nav_watches: "订阅",
    watches_note: "每次数据变更后，订阅的问题会按您的权限重新检查变更的客户；有客户进入或离开答案时提醒。",
    no_watches: "还没有订阅：在问题的答案下点「订阅」。",
    never_fired: "尚未触发",
    remove: "删除",
    watch_name: "订阅",
    watch_owner: "所有者",
    watch_fires: "提醒条件",
    watch_targets: "推送到",
    watch_members: "当前客户数",
    watch_firings: "最近触发",
    exporting: "正在导出…",
    prev: "上一页",
    next: "下一页",
    page_size: "每页",
    pager: "翻页",
    sort_by: "按{label}排序",
    matches: "匹配",
    loading: "加载中…",
    error: "出错了：{message}",
    err_bad_request: "请求有误，请检查后重试",
    err_bad_question: "没能理解这个问题，换个说法试试",
    err_not_found: "没有找到要查看的内容",
    err_too_large: "内容太长，请缩短后重试",
    err_unauthorized: "请先登录（或登录已过期、链接已失效）",
    err_forbidden: "您的角色无权进行此操作",
    err_locked: "密码错误次数过多，账号暂时锁定，请稍后再试",
    err_rate_limited: "请求太频繁，请稍后再试",
    err_conflict: "与他人保存的内容冲突，请换个名称",
    err_internal: "服务器出错了，请稍后重试",
    err_network: "无法连接服务器",
    error_detail: "详情",
    retry: "重试",
    not_found: "没有这个页面",
    overview: "概览",
    bar_all: "全部",
    bar_clear: "清除",
    bar_label: "页面筛选",
    bar_period: "期间",
    flow_title: "期间转化",
    flow_converted: "首次下单：期初无订单的 {base} 家客户中 {moved} 家在期间内下单",
    flow_lapsed: "流失：期初在购的 {base} 家客户中 {moved} 家已180天无订单",
    period_365: "近一年",
    period_90: "近90天",
    period_30: "近30天",
    period_any: "不限期间",
    date_range: "日期范围",
    range_none: "不限",
    range_last: "最近若干天",
    range_between: "起止日期",
    range_field: "日期字段",
    range_from: "开始日期",
    range_to: "结束日期",
    range_days: "天数",
    last_n_days: "近{n}天",
    order_date: "订单日期",
    range_bad_order: "开始日期不能晚于结束日期",
    combos: "组合看板",
    combos_intro: "把几张报表和看板放在一页，共用页面筛选与期间",
    combo_new: "新建组合看板",
    combo_new_hint: "选几张报表和看板，排好顺序，保存为一页",
    combo_edit: "编辑组合看板",
    combo_delete: "删除组合看板",
    combo_confirm_delete: "确定删除组合看板「{title}」？",
    combo_title: "标题",
    combo_title_default: "我的组合看板",
    combo_pick: "可加入的报表与看板",
    combo_chosen: "本页的图表（按顺序）",
    combo_add: "加入",
    combo_remove: "移除",
    combo_up: "上移",
    combo_down: "下移",
    combo_none_chosen: "还没有选图表：从左边加入至少一张",
    combo_open_board: "单独打开",
    combo_count: "{n} 张图表",
    combo_missing: "「{name}」已不存在（报表被删除了）；编辑这个组合看板把它移除",
    kpi_change_period: "较前{days}天 {pct}",
    as_of: "数据截至 {date}",
    kpi_change: "较前一年 {pct}",
    login_title: "登录客搜",
    login_user: "用户名",
    login_password: "密码",
    login_submit: "登录",
    logout: "退出",
    login_hint: "账号由管理员用 kesou user add 创建",
    back_home: "回到首页",
    // profile
    profile: "客户档案",
    similar: "相似客户",
    similar_none: "没有相似客户",
    similarity: "相似度 {pct}",
    tags: "标签",
    no_tags: "无标签",
    rfm: "RFM 评分",
    rfm_none: "尚无订单，没有 RFM 评分",
    rfm_segment: "分群",
    churn: "流失风险",
    churn_none: "未计算",
    churn_none_hint: "流失模型尚未在这个数据上运行",
    churn_no_orders: "不适用",
    churn_no_orders_hint: "尚无订单：流失风险只评估下过单的客户（这家是潜在或意向客户）",
    churn_high: "高",
    churn_mid: "中",
    churn_low: "低",
    factors: "主要因素",
    monthly: "月度采购额",
    monthly_none: "没有订单",
    orders: "订单",
    orders_total: "共 {total} 笔，显示最近 {shown} 笔",
    interactions: "互动记录",
    interactions_total: "共 {total} 次，显示最近 {shown} 次",
    contact: "联系人",
    description: "企业简介",
    none: "无",
    // dashboards
    boards: "看板",
    boards_intro: "内置看板与保存的报表",
    builtin: "内置",
    saved_report: "报表",
    open: "打开",
    new_report: "新建报表",
    new_report_hint: "选维度、指标和筛选，生成图表并保存",
    data_table: "数据表",
    filters: "筛选",
    add_filter: "添加筛选",
    filter_field: "字段",
    filter_op: "比较",
    filter_value: "值",
    remove_filter: "移除筛选：{f}",
    no_filters: "无筛选",
    embed: "嵌入",
    delete_report: "删除报表",
    confirm_delete: "确定删除报表「{title}」？",
    deleted: "已删除",
    empty_chart: "没有数据",
    chart_of: "{title}图表",
    by_count: "客户数",
    by_sum: "采购额",
    legend: "图例",
    // report builder
    builder: "报表设计",
    report_title: "标题",
    report_title_default: "我的报表",
    dimension: "维度",
    measure: "指标",
    agg: "汇总方式",
    agg_count: "计数",
    agg_sum: "求和",
    agg_avg: "平均",
    agg_min: "最小",
    agg_max: "最大",
    measure_field: "字段",
    or_question: "或者直接输入问题",
    or_question_hint: "填写后按问题生成，维度和指标可不选",
    chart: "图表",
    chart_is: "图表：{kind}（按维度自动选择）",
    chart_bar: "柱状图",
    chart_funnel: "漏斗图",
    chart_map: "省份地图",
    chart_matrix: "热力矩阵",
    chart_line: "折线图",
    chart_table: "表格",
    preview: "预览",
    save: "保存报表",
    report_name: "名称（字母或汉字、数字、- 和 _，用于链接）",
    edit_report: "编辑报表",
    saved: "已保存「{title}」",
    name_invalid: "名称只能包含字母或汉字、数字、- 和 _，以字母、汉字或数字开头，最多 64 个字符",
    // embed
    embed_title: "嵌入「{title}」",
    embed_intro: "生成一个只读、带签名、会过期的链接，可以固定筛选条件。",
    embed_fixed: "固定筛选",
    expires: "有效期",
    hours_1: "1 小时",
    hours_24: "24 小时",
    days_7: "7 天",
    days_30: "30 天",
    create_token: "生成嵌入链接",
    embed_url: "链接",
    embed_snippet: "iframe 代码",
    expires_at: "到期时间：{at}",
    copy: "复制",
    copied: "已复制",
    close: "关闭",
    embed_refused: "无法显示这个看板",
    embed_refused_hint: "嵌入链接缺少令牌、令牌无效或已过期。请向分享者索取新的链接。",
    embed_no_token: "链接里没有令牌（token）。",
    powered: "客搜",
    // customer fields, used when the server gives no label
    summary: "汇总",
    nav_import: "导入数据",
    import_title: "导入数据",
    import_intro: "拖入客户、订单、互动记录的导出文件（Excel、CSV、JSONL、Parquet；UTF-8、GBK、Big5 均可）。先看每个文件、每一列会怎样导入，需要时改一改，再点「开始导入」。",
    import_drop: "把文件拖到这里，或点击选择文件",
    import_formats: ".xlsx .xls .ods .csv .tsv .txt .jsonl .parquet，每个文件不超过 1 GB",
    import_sending: "正在上传…",
    import_planning: "正在分析文件…",
    import_load: "开始导入",
    import_discard: "放弃这些文件",
    import_loading: "正在导入…",
    import_done: "导入完成",
    import_table: "数据表",
    import_table_unknown: "（未识别，不导入）",
    import_table_customers: "客户",
    import_table_orders: "订单",
    import_table_interactions: "互动记录",
    import_table_meta: "元信息",
    import_encoding: "编码",
    import_header: "表头",
    import_target: "导入为",
    import_kind: "类型",
    import_samples: "示例",
    import_custom: "自定义字段",
    import_ignore: "不导入",
    import_rows_read: "读到行数",
    import_would_load: "可导入",
    import_loaded: "已导入",
    import_would_reject: "拒绝",
    import_set_aside: "置空的值",
    import_would_wait: "等待客户",
    import_attached: "补挂到客户",
    import_missing: "缺少必需的列：{columns}。请在下表把对应的列改为这些字段。",
    import_problems: "前 {n} 个问题",
    import_line: "第",
    import_rejects: "下载拒绝明细 CSV",
    import_ask: "去提问",
    kind_id: "编号",
    kind_text: "文本",
    kind_credit_code: "信用代码",
    kind_category: "类别",
    kind_number: "数字",
    kind_money: "金额",
    kind_date: "日期",
    kind_timestamp: "时间",
    kind_list: "列表",
    kind_phone: "电话",
    kind_email: "邮箱",
    kind_percent: "百分比",
  },
  en: {
    brand: "kesou",
    tagline: "Enterprise customer search and analytics",
    skip: "Skip to content",
    nav_ask: "Ask",
    nav_boards: "Dashboards",
    nav_new_report: "New report",
    lang_switch: "中文",
    meaning_waiting: "Search by meaning: starting…",
    meaning_distilling: "Search by meaning: distilling the model {progress}",
    meaning_embedding: "Search by meaning: embedding customers {progress}",
    meaning_ready: "Search by meaning ready",
    meaning_failed: "Search by meaning unavailable: words only",
    lang_switch_label: "Switch to Chinese",
    question: "Question",
    ask: "Ask",
    ask_placeholder: "e.g. tech customers in East China with annual purchase over 1 million",
    suggestions: "Suggestions",
    examples: "Try asking",
    understood_as: "Understood as",
    chip_remove: "Remove condition: {label}",
    chip_edit: "Edit condition: {label} (Enter to ask again, Esc to cancel)",
    chip_edit_hint: "Click a condition to edit its words, × removes it and asks again",
    unrecognized: "Not understood: ",
    partial: "Partial answer:",
    partial_ignored: "this answer left out {words}",
    partial_add: "Search 「{word}」 as text",
    alternatives: "Also possible: ",
    no_answer: "No matching customers",
    total_list: "{total} customers",
    total_groups: "{total} groups",
    chart_first_groups: "The chart shows the first {shown} of {total} groups",
    showing: "rows {from}–{to}",
    ordered_by: "ordered by {by}",
    took: "{ms} ms",
    export_csv: "Export CSV",
    subscribe: "Subscribe",
    subscribe_target: "Send to",
    subscribe_no_target: "Nowhere (listed on the watches page)",
    subscribe_on: "When",
    subscribe_enter: "customers enter",
    subscribe_leave: "customers leave",
    subscribe_both: "customers enter or leave",
    subscribe_save: "Save watch",
    subscribed: "Subscribed: {n} customers now; see your watches",
    subscribe_every: "How often",
    subscribe_weekly: "Weekly",
    subscribe_daily: "Daily",
    subscribed_report: "Subscribed: the report will be sent on schedule; see your watches",
    subscribe_view: "As filtered now: {view}",
    watch_report: "Report {board} · {every}",
    nav_watches: "Watches",
    watches_note: "After every change to the data, each watch is asked again for the changed customers, within your permissions; it fires when customers enter or leave its answer.",
    no_watches: "No watches yet: press Subscribe under an answer.",
    never_fired: "not yet",
    remove: "Remove",
    watch_name: "Watch",
    watch_owner: "Owner",
    watch_fires: "Fires when",
    watch_targets: "Sent to",
    watch_members: "Customers now",
    watch_firings: "Last firings",
    exporting: "Exporting…",
    prev: "Previous",
    next: "Next",
    page_size: "Per page",
    pager: "Pages",
    sort_by: "Sort by {label}",
    matches: "Matches",
    loading: "Loading…",
    error: "Something went wrong: {message}",
    err_bad_request: "The request is not right; check it and try again",
    err_bad_question: "The question was not understood; try other words",
    err_not_found: "Nothing found to show",
    overview: "Overview",
    bar_all: "All",
    bar_clear: "Clear",
    bar_label: "Page filters",
    bar_period: "Period",
    flow_title: "Movement over",
    flow_converted: "first orders: {moved} of the {base} customers without an order at the start ordered since",
    flow_lapsed: "lapsed: {moved} of the {base} customers buying at the start have had no order for 180 days",
    period_365: "Last year",
    period_90: "Last 90 days",
    period_30: "Last 30 days",
    period_any: "Any time",
    date_range: "Date range",
    range_none: "None",
    range_last: "Last days",
    range_between: "From and to",
    range_field: "Date field",
    range_from: "From",
    range_to: "To",
    range_days: "Days",
    last_n_days: "Last {n} days",
    order_date: "Order date",
    range_bad_order: "The start date must not be after the end date",
    combos: "Combined dashboards",
    combos_intro: "Several reports and boards on one page, sharing the page's filters and period",
    combo_new: "New combined dashboard",
    combo_new_hint: "Pick reports and boards, put them in order, save them as one page",
    combo_edit: "Edit combined dashboard",
    combo_delete: "Delete combined dashboard",
    combo_confirm_delete: "Delete the combined dashboard “{title}”?",
    combo_title: "Title",
    combo_title_default: "My dashboard",
    combo_pick: "Reports and boards to add",
    combo_chosen: "Charts on this page, in order",
    combo_add: "Add",
    combo_remove: "Remove",
    combo_up: "Move up",
    combo_down: "Move down",
    combo_none_chosen: "No chart chosen yet: add at least one from the list",
    combo_open_board: "Open alone",
    combo_count: "{n} charts",
    combo_missing: "“{name}” no longer exists (the report was deleted); edit this dashboard to remove it",
    kpi_change_period: "{pct} on the {days} days before",
    as_of: "data as of {date}",
    kpi_change: "{pct} on the year before",
    err_too_large: "Too long; shorten it and try again",
    err_unauthorized: "Log in first (or the session or link has ended)",
    err_forbidden: "Your role may not do this",
    err_locked: "Too many wrong passwords: the account is locked for a while",
    err_rate_limited: "Too many requests; try again in a moment",
    err_conflict: "Someone else saved this; choose another name",
    err_internal: "The server failed; try again later",
    err_network: "The server cannot be reached",
    error_detail: "Details",
    retry: "Retry",
    not_found: "No such page",
    login_title: "Log in to kesou",
    login_user: "User name",
    login_password: "Password",
    login_submit: "Log in",
    logout: "Log out",
    login_hint: "An administrator creates accounts with kesou user add",
    back_home: "Back to start",
    profile: "Customer profile",
    similar: "Similar customers",
    similar_none: "No similar customers",
    similarity: "{pct} alike",
    tags: "Tags",
    no_tags: "No tags",
    rfm: "RFM scores",
    rfm_none: "No orders yet, so no RFM scores",
    rfm_segment: "Segment",
    churn: "Churn risk",
    churn_none: "Not computed",
    churn_none_hint: "The churn model has not run on this data yet",
    churn_no_orders: "Not applicable",
    churn_no_orders_hint: "No orders yet: churn risk is assessed only for customers who have ordered (this one is a prospect or interested)",
    churn_high: "high",
    churn_mid: "medium",
    churn_low: "low",
    factors: "Main factors",
    monthly: "Monthly purchases",
    monthly_none: "No orders",
    orders: "Orders",
    orders_total: "{total} in all, latest {shown} shown",
    interactions: "Interactions",
    interactions_total: "{total} in all, latest {shown} shown",
    contact: "Contact",
    description: "About",
    none: "none",
    boards: "Dashboards",
    boards_intro: "Built-in dashboards and saved reports",
    builtin: "Built-in",
    saved_report: "Report",
    open: "Open",
    new_report: "New report",
    new_report_hint: "Pick a dimension, a measure and filters, see the chart, save it",
    data_table: "Data",
    filters: "Filters",
    add_filter: "Add filter",
    filter_field: "Field",
    filter_op: "Comparison",
    filter_value: "Value",
    remove_filter: "Remove filter: {f}",
    no_filters: "No filters",
    embed: "Embed",
    delete_report: "Delete report",
    confirm_delete: "Delete the report “{title}”?",
    deleted: "Deleted",
    empty_chart: "No data",
    chart_of: "Chart: {title}",
    by_count: "Customers",
    by_sum: "Purchase",
    legend: "Legend",
    builder: "Report builder",
    report_title: "Title",
    report_title_default: "My report",
    dimension: "Dimension",
    measure: "Measure",
    agg: "Aggregate",
    agg_count: "Count",
    agg_sum: "Sum",
    agg_avg: "Average",
    agg_min: "Minimum",
    agg_max: "Maximum",
    measure_field: "Field",
    or_question: "Or type a question",
    or_question_hint: "When filled in, the question decides; dimension and measure are optional",
    chart: "Chart",
    chart_is: "Chart: {kind} (chosen for the dimension)",
    chart_bar: "Bars",
    chart_funnel: "Funnel",
    chart_map: "Province map",
    chart_matrix: "Heat matrix",
    chart_line: "Line",
    chart_table: "Table",
    preview: "Preview",
    save: "Save report",
    report_name: "Name (letters, Chinese too, digits, - and _; used in links)",
    saved: "Saved “{title}”",
    name_invalid: "A name holds only letters (Chinese too), digits, - and _, starts with a letter or digit, at most 64 of them",
    edit_report: "Edit report",
    embed_title: "Embed “{title}”",
    embed_intro: "Creates a signed, read-only link that expires; it may fix filters.",
    embed_fixed: "Fixed filters",
    expires: "Expires in",
    hours_1: "1 hour",
    hours_24: "24 hours",
    days_7: "7 days",
    days_30: "30 days",
    create_token: "Create embed link",
    embed_url: "Link",
    embed_snippet: "iframe snippet",
    expires_at: "Expires {at}",
    copy: "Copy",
    copied: "Copied",
    close: "Close",
    embed_refused: "This dashboard cannot be shown",
    embed_refused_hint: "The embed link has no token, or its token is invalid or expired. Ask whoever shared it for a new link.",
    embed_no_token: "The link carries no token.",
    powered: "kesou",
    summary: "Summary",
    nav_import: "Import",
    import_title: "Import data",
    import_intro: "Drop exports of customers, orders and interactions (Excel, CSV, JSONL, Parquet; UTF-8, GBK or Big5). See how each file and column would load, change what needs changing, then press Load.",
    import_drop: "Drop files here, or click to choose",
    import_formats: ".xlsx .xls .ods .csv .tsv .txt .jsonl .parquet, up to 1 GB each",
    import_sending: "uploading…",
    import_planning: "Reading the files…",
    import_load: "Load",
    import_discard: "Discard these files",
    import_loading: "Loading…",
    import_done: "Loaded",
    import_table: "Table",
    import_table_unknown: "(not recognised: not loaded)",
    import_table_customers: "Customers",
    import_table_orders: "Orders",
    import_table_interactions: "Interactions",
    import_table_meta: "Meta",
    import_encoding: "Encoding",
    import_header: "Header",
    import_target: "Loads as",
    import_kind: "Type",
    import_samples: "Samples",
    import_custom: "Custom field",
    import_ignore: "Not loaded",
    import_rows_read: "Rows read",
    import_would_load: "Would load",
    import_loaded: "Loaded",
    import_would_reject: "Rejected",
    import_set_aside: "Values left empty",
    import_would_wait: "Waiting for their customer",
    import_attached: "Attached to their customer",
    import_missing: "Required columns missing: {columns}. Choose them for the matching columns below.",
    import_problems: "First {n} problems",
    import_line: "line",
    import_rejects: "Download the rejects (CSV)",
    import_ask: "Ask a question",
    kind_id: "id",
    kind_text: "text",
    kind_credit_code: "credit code",
    kind_category: "category",
    kind_number: "number",
    kind_money: "money",
    kind_date: "date",
    kind_timestamp: "time",
    kind_list: "list",
    kind_phone: "phone",
    kind_email: "email",
    kind_percent: "percent",
  },
};

/** English names of the contract's columns and common measures (the server labels in Chinese). */
const FIELDS_EN = {
  id: "ID", name: "Company", credit_code: "Credit code", region: "Region", province: "Province",
  city: "City", industry: "Industry", size: "Size", employees: "Employees",
  registered_capital: "Registered capital", founded_date: "Founded", lifecycle: "Lifecycle",
  value_level: "Value level", owner: "Sales owner", tags: "Tags",
  annual_purchase: "Annual purchase", total_purchase: "Total purchase", order_count: "Orders",
  last_order_date: "Last order", consult_30d: "Enquiries (30 days)", churn_risk: "Churn risk",
  contact_name: "Contact", contact_phone: "Phone", email: "Email", description: "About",
  created_at: "Created", r_score: "R score", f_score: "F score", m_score: "M score",
  rfm_segment: "RFM segment", churn_factors: "Main reasons", count: "Customers", score: "Similarity", reasons: "Why alike",
  amount: "Amount", order_date: "Date", product: "Product", ts: "Time", channel: "Channel",
  kind: "Kind", note: "Note", month: "Month", sum: "Sum", avg: "Average", min: "Minimum",
  max: "Maximum",
};

/** Chinese names of the same, for interpretations the server sent without chips. */
const FIELDS_ZH = {
  id: "客户编号", name: "企业名称", credit_code: "统一社会信用代码", region: "大区", province: "省份",
  city: "城市", industry: "行业", size: "规模", employees: "员工数", registered_capital: "注册资本",
  founded_date: "成立日期", lifecycle: "生命周期", value_level: "价值等级", owner: "负责销售",
  tags: "标签", annual_purchase: "年采购额", total_purchase: "累计采购额", order_count: "订单数",
  last_order_date: "最近下单", consult_30d: "近30天咨询", churn_risk: "流失风险",
  contact_name: "联系人", contact_phone: "电话", email: "邮箱", description: "企业简介",
  created_at: "创建时间", r_score: "R得分", f_score: "F得分", m_score: "M得分",
  rfm_segment: "RFM分群", count: "客户数", score: "相似度", reasons: "相似原因",
};

/** English for the closed sets of the demo data (display only; filters keep the Chinese). */
const VALUES_EN = {
  华东: "East China", 华南: "South China", 华北: "North China", 华中: "Central China", 西南: "Southwest", 西北: "Northwest",
  东北: "Northeast", 科技: "Tech", 制造: "Manufacturing", 金融: "Finance", 零售: "Retail",
  医疗: "Healthcare", 教育: "Education", 物流: "Logistics", 能源: "Energy", 建筑: "Construction",
  餐饮: "Catering", 农业: "Agriculture", 传媒: "Media", 微型: "Micro", 小型: "Small", 中型: "Medium",
  大型: "Large", 潜在: "Prospect", 意向: "Interested", 成交: "Customer", 忠诚: "Loyal", 流失: "Lost",
  高: "High", 中: "Medium", 低: "Low", 重要价值客户: "Champions", 重要发展客户: "Promising big spenders",
  重要保持客户: "Big spenders at risk", 重要挽留客户: "Big spenders to win back",
  一般价值客户: "Loyal small spenders", 一般发展客户: "New small spenders",
  一般保持客户: "Small spenders at risk", 一般挽留客户: "Small spenders lost",
  "无订单（潜在/意向）": "No orders yet (prospect / interested)",
  电话: "Phone", 微信: "WeChat", 官网: "Website", 邮件: "Email", 展会: "Trade fair", 拜访: "Visit",
  咨询: "Enquiry", 投诉: "Complaint", 报修: "Repair", 回访: "Follow-up",
  // the tags kesou derives (attribute tags of the data stay as written)
  活跃: "Active", 沉睡: "Dormant", 高意向待转化: "High intent, no order", 复购客户: "Repeat buyer",
  "复购周期≤30天": "Reorders within 30 days", "复购周期31-90天": "Reorders in 31–90 days",
  "复购周期91-180天": "Reorders in 91–180 days", "复购周期>180天": "Reorders after 180+ days",
  多次投诉: "Repeated complaints", 多次报修: "Repeated repairs", 频繁咨询: "Frequent enquiries",
  LTV高: "High LTV", LTV中: "Medium LTV", LTV低: "Low LTV", ARPU高: "High ARPU", ARPU中: "Medium ARPU", ARPU低: "Low ARPU",
  展会获客: "Trade-fair lead", 老客户推荐: "Referral", 线上注册: "Online sign-up", 电话营销: "Telemarketing",
  渠道代理: "Channel partner", 招投标: "Tender",
};

const BANDS_EN = { "10万以下": "under 100K", "10–50万": "100K–500K", "50–100万": "500K–1M", "100–500万": "1M–5M", "500–1000万": "5M–10M", "1000万以上": "over 10M" };

/** A similar customer's reason (同为餐饮行业, 主购产品相同（收银系统）…) in English: parts
 * [text, isData], the data (products, attribute tags) kept as written. */
export function reasonParts(reason) {
  if (current !== "en") return [[reason, false]];
  const list = (text) => text.split("、").map((v) => valueLabel(v));
  const rules = [
    [/^同为(.+)行业$/, (m) => [[`Same industry: ${valueLabel(m[1])}`, false]]],
    [/^同为(.+)企业$/, (m) => [[`Same size: ${valueLabel(m[1])}`, false]]],
    [/^同为(.+)$/, (m) => [[`Same region: ${valueLabel(m[1])}`, false]]],
    [/^同在(.+)$/, (m) => [[`Same province: ${valueLabel(m[1])}`, false]]],
    [/^主购产品相同（(.+)）$/, (m) => [["Buys the same: ", false], [m[1], true]]],
    [/^互动多为(.+)$/, (m) => [[`Interactions mostly: ${valueLabel(m[1])}`, false]]],
    [/^常用(.+)联系$/, (m) => [[`Mostly reached by ${valueLabel(m[1])}`, false]]],
    [/^同有标签(.+)$/, (m) => {
      const tags = list(m[1]);
      const untranslated = tags.some(hasChinese);
      return [["Shared tags: ", false], [tags.join(", "), untranslated]];
    }],
    [/^年采购额(.+)$/, (m) => (BANDS_EN[m[1]] ? [[`Annual purchase ${BANDS_EN[m[1]]}`, false]] : [[reason, true]])],
  ];
  const fixed = { 员工规模相近: "Similar headcount", 注册资本相近: "Similar registered capital", 下单次数相近: "Similar number of orders", 最近下单时间相近: "Ordered at a similar time", 简介用词相近: "Similar description", 今年无采购: "No purchase this year" };
  if (fixed[reason]) return [[fixed[reason], false]];
  for (const [re, make] of rules) {
    const m = re.exec(reason);
    if (m) return make(m);
  }
  return [[reason, hasChinese(reason)]];
}

/** Fields holding money in yuan or a 0..1 ratio, when no column kind says so. */
export const MONEY_FIELDS = new Set(["annual_purchase", "total_purchase", "registered_capital", "amount"]);
export const RATIO_FIELDS = new Set(["churn_risk", "score"]);

const STORAGE_KEY = "kesou.lang";

function initialLang() {
  const fromUrl = new URLSearchParams(location.search).get("lang");
  if (fromUrl === "en" || fromUrl === "zh") {
    try {
      localStorage.setItem(STORAGE_KEY, fromUrl);
    } catch {
      // storage may be off (private mode, embeds): the URL still decides
    }
    return fromUrl;
  }
  try {
    const kept = localStorage.getItem(STORAGE_KEY);
    if (kept === "en" || kept === "zh") return kept;
  } catch {
    // as above
  }
  return "zh";
}

let current = initialLang();
const listeners = new Set();

export function lang() {
  return current;
}

export function setLang(next) {
  current = next === "en" ? "en" : "zh";
  try {
    localStorage.setItem(STORAGE_KEY, current);
  } catch {
    // not kept, still switched
  }
  document.documentElement.lang = current === "en" ? "en" : "zh-CN";
  for (const fn of listeners) fn(current);
}

export function onLangChange(fn) {
  listeners.add(fn);
}

/** The string for `key` in the current language, with {name} placeholders filled. */
export function t(key, vars) {
  const table = STRINGS[current];
  let text = table[key] ?? STRINGS.zh[key] ?? key;
  if (vars) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
  return text;
}

/** The server's one-line ordering (「年采购额 ↓, 客户编号 ↑」) in the page's language. */
export function orderedBy(text) {
  if (current !== "en" || !text) return text;
  const byLabel = Object.fromEntries(Object.entries(FIELDS_ZH).map(([name, label]) => [label, name]));
  return text
    .split(/[,，、]\s*/)
    .map((part) => {
      const m = part.trim().match(/^(.*?)\s*([↑↓])?$/);
      const label = m ? m[1] : part;
      const aggs = { 合计: "sum", 平均: "avg", 最低: "min", 最高: "max" };
      const agg = Object.keys(aggs).find((a) => label.startsWith(a) && byLabel[label.slice(a.length)]);
      const name = agg ? `${aggs[agg]}_${byLabel[label.slice(agg.length)]}` : byLabel[label];
      const en = label === "相关度" ? "relevance" : label === "客户数" || label === "数量" ? "customers" : name ? fieldLabel(name) : label;
      return m && m[2] ? `${en} ${m[2]}` : en;
    })
    .join(", ");
}

/** The headline of an API error in the page's language, by its code (the server's own
 * words, in English, are shown beneath it as detail). */
export function errorTitle(err) {
  const key = `err_${(err && err.code) || "network"}`;
  const text = t(key);
  return text === key ? t("err_internal") : text;
}

/** A column or field label in the current language. */
export function fieldLabel(name, serverLabel, serverLabelEn) {
  if (current === "en") return FIELDS_EN[name] || measureEn(name) || capitalised(serverLabelEn) || serverLabel || name;
  return serverLabel || FIELDS_ZH[name] || name;
}

const AGG_EN = { sum: "Total", avg: "Average", min: "Lowest", max: "Highest" };

/** Columns of answers that are no field: shares, sales measures, periods. */
const ANSWER_EN = {
  share: "Share", sales: "Sales", avg_order: "Average order", orders: "Orders",
  interactions: "Interactions", period: "Period",
};

/** sum_annual_purchase → Total annual purchase; sales_prev → Sales (before); sales_change → Sales change. */
function measureEn(name) {
  const around = /^(.+)_(prev|change)$/.exec(name);
  if (around) {
    const base = FIELDS_EN[around[1]] || ANSWER_EN[around[1]] || measureEn(around[1]);
    if (base) return around[2] === "prev" ? `${base} (period before)` : `${base} change`;
  }
  if (ANSWER_EN[name]) return ANSWER_EN[name];
  const m = /^(sum|avg|min|max)_(.+)$/.exec(name);
  return m && FIELDS_EN[m[2]] ? `${AGG_EN[m[1]]} ${FIELDS_EN[m[2]].toLowerCase()}` : null;
}

function capitalised(text) {
  return text ? `${text[0].toUpperCase()}${text.slice(1)}` : text;
}

/** A data value shown in the current language (display only): the closed sets, the
 * provinces (浙江省 → Zhejiang) and the churn model's reasons in English; other values
 * (names, cities) stay as written. */
export function valueLabel(value) {
  if (current !== "en" || typeof value !== "string") return value;
  if (value in VALUES_EN) return VALUES_EN[value];
  const province = PROVINCES.find((p) => p.full === value || p.short === value);
  if (province) return province.en;
  for (const [re, make] of FACTORS_EN) {
    const m = re.exec(value);
    if (m) return make(m);
  }
  return value;
}

/** 3.2万 / 1.5亿 / 800元 (the churn model's amounts) as the English app writes them. */
function yuanOf(text) {
  const m = /^([\d.]+)(亿|万|元)$/.exec(text);
  return m ? compact(Number(m[1]) * { 亿: 1e8, 万: 1e4, 元: 1 }[m[2]]) : text;
}

const WINDOW_EN = { 近90天: "in the last 90 days", 近180天: "in the last 180 days", 近一年: "in the last year" };

/** The churn model's reasons (models/src/churn/factors.rs) in English. */
const FACTORS_EN = [
  [/^已(\d+)天未下单（平均(\d+)天一单）$/, (m) => `No order for ${m[1]} days (one every ${m[2]} days before)`],
  [/^已(\d+)天未下单$/, (m) => `No order for ${m[1]} days`],
  [/^下单减少（近半年(\d+)次，此前半年(\d+)次）$/, (m) => `Fewer orders (${m[1]} in the last 6 months, ${m[2]} in the 6 before)`],
  [/^仅下过1单$/, () => "Only one order ever"],
  [/^近一年仅下单(\d+)次$/, (m) => `Only ${m[1]} orders in the last year`],
  [/^采购额同比下降(\d+)%$/, (m) => `Purchases down ${m[1]}% on the year before`],
  [/^近半年采购额环比下降(\d+)%$/, (m) => `Purchases down ${m[1]}% on the 6 months before`],
  [/^近一年采购额仅(.+)$/, (m) => `Only ${yuanOf(m[1])} bought in the last year`],
  [/^近3单平均金额下降(\d+)%$/, (m) => `Last 3 orders ${m[1]}% smaller`],
  [/^(近90天|近180天|近一年)(投诉|报修)(\d+)次$/, (m) => `${m[3]} ${m[2] === "投诉" ? "complaints" : "repairs"} ${WINDOW_EN[m[1]]}`],
  [/^从未有过互动记录$/, () => "Never in touch"],
  [/^已(\d+)天无互动$/, (m) => `No contact for ${m[1]} days`],
  [/^互动减少（近半年(\d+)次，此前半年(\d+)次）$/, (m) => `Less contact (${m[1]} in the last 6 months, ${m[2]} in the 6 before)`],
  [/^首单至今仅(\d+)个月$/, (m) => `First order only ${m[1]} months ago`],
  [/^企业规模小（(\d+)人）$/, (m) => `Small company (${m[1]} staff)`],
  [/^(.+)行业客户流失较多$/, (m) => `${VALUES_EN[m[1]] || m[1]} customers often churn`],
  [/^(.+)企业流失较多$/, (m) => `${VALUES_EN[m[1]] || m[1]} companies often churn`],
];

const CHINESE = /[\u3400-\u9fff\uf900-\ufaff]/;

/** Whether text holds Chinese characters. */
export function hasChinese(text) {
  return CHINESE.test(String(text ?? ""));
}

/** The attributes of an element showing data as written (a company's name, a city, a
 * note): in the English app, Chinese data is marked lang="zh" so that it is read (and
 * checked) as the Chinese it is; UI text never is. */
export function dataAttrs(text, attrs = {}) {
  return current === "en" && hasChinese(text) ? { ...attrs, lang: "zh" } : attrs;
}

const grouping = () => new Intl.NumberFormat(current === "en" ? "en-US" : "zh-CN", { maximumFractionDigits: 2 });

function trim(n, digits) {
  return Number(n.toFixed(digits)).toString();
}

/** A number a manager reads at a glance: 1234.5万, 1.23亿; 12.3K, 4.5M, 1.2B. */
export function compact(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return "—";
  const abs = Math.abs(n);
  if (current === "en") {
    if (abs >= 1e9) return `${trim(n / 1e9, 2)}B`;
    if (abs >= 1e6) return `${trim(n / 1e6, 2)}M`;
    if (abs >= 1e4) return `${trim(n / 1e3, 1)}K`;
    return small(n);
  }
  if (abs >= 1e8) return `${trim(n / 1e8, 2)}亿`;
  if (abs >= 1e4) return `${trim(n / 1e4, 1)}万`;
  return small(n);
}

/** Below ten thousand: whole numbers from 100 up (9,291), two decimals below (0.25). */
function small(n) {
  return grouping().format(Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100);
}

/** An exact count or measure with thousands separators. */
export function integer(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return "—";
  return grouping().format(n);
}

export function percent(r) {
  if (r === null || r === undefined || Number.isNaN(r)) return "—";
  return `${Math.round(r * 100)}%`;
}

/** The kind of a field's values: the column's own kind, else what the name says. */
export function kindOf(name, kind) {
  if (kind && kind !== "number") return kind;
  if (MONEY_FIELDS.has(name) || /(^|_)(sum|avg|min|max)_(annual_purchase|total_purchase|registered_capital|amount)$/.test(name)) return "money";
  if (RATIO_FIELDS.has(name)) return "ratio";
  return kind || "text";
}

/** A cell as text by its column kind. Lists join with 、. */
export function cell(value, kind) {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.map((v) => valueLabel(v)).join("、");
  switch (kind) {
    case "money":
      return typeof value === "number" ? compact(value) : String(value);
    case "ratio":
      return typeof value === "number" ? percent(value) : String(value);
    case "number":
      return typeof value === "number" ? integer(value) : String(value);
    case "category":
      return String(valueLabel(value));
    default:
      return typeof value === "number" ? integer(value) : String(value);
  }
}

/** What each built-in board shows, in English (the server describes them in Chinese). */
const ABOUT_EN = {
  map: "Customers and total annual purchase of each province",
  top20: "The 20 customers with the highest annual purchase",
  churn: "Customers with a churn risk of 70% or more, riskiest first",
  funnel: "Customers at each lifecycle stage: prospect → interested → customer → loyal → lost",
  rfm: "Customers and total annual purchase of each RFM segment",
  matrix: "Customers of each region and industry",
};

/** A board's one-line description in the page's language (none when only Chinese exists). */
export function aboutOf(board) {
  if (lang() !== "en") return board.explain || board.description || "";
  if (board.builtin && ABOUT_EN[board.name]) return ABOUT_EN[board.name];
  const line = board.explain || board.description || "";
  return hasChinese(line) ? "" : line;
}

/** A server note (written in Chinese, then English) in the page's language. */
export function noteOf(note) {
  if (!note || lang() !== "en") return note;
  const english = note.split(/(?<=[。！？])\s*/).filter((part) => part && !hasChinese(part));
  return english.join(" ") || note;
}
