//! What the demo company sells: a catalogue of products with a typical order amount each.
//! Personas weight these products (a factory buys 数控机床 and 刀具耗材, a restaurant
//! 食材配送 and 收银系统); the customer's size and its own scale move the amount.

use crate::script::Words;

/// Product names, in catalogue order (indices into [`PRICES`]).
pub(crate) static PRODUCTS: Words = Words::new(&[
    "数控机床",
    "工业机器人",
    "激光切割机",
    "精密轴承",
    "工业传感器",
    "检测仪器",
    "刀具耗材",
    "云服务器",
    "SaaS订阅",
    "ERP软件",
    "数据库授权",
    "网络安全设备",
    "笔记本电脑",
    "办公设备",
    "机房空调",
    "收银系统",
    "冷链设备",
    "商用冷柜",
    "智能货架",
    "监控摄像头",
    "条码打印机",
    "医用耗材",
    "医疗影像设备",
    "检测试剂",
    "智慧黑板",
    "投影仪",
    "叉车",
    "GPS定位终端",
    "仓储货架",
    "光伏组件",
    "储能电池",
    "变压器",
    "电力电缆",
    "工程机械",
    "商用厨具",
    "食材配送",
    "农业无人机",
    "灌溉设备",
    "有机肥料",
    "优质种子",
]);

/// Typical order amount of each product for a mid-sized customer, in yuan.
#[rustfmt::skip]
pub(crate) const PRICES: [f64; 40] = [
    450_000.0, 380_000.0, 260_000.0, 18_000.0, 12_000.0, 85_000.0, 6_000.0, 40_000.0, 15_000.0, 120_000.0, 90_000.0,
    70_000.0, 25_000.0, 8_000.0, 60_000.0, 12_000.0, 60_000.0, 15_000.0, 20_000.0, 9_000.0, 4_000.0, 20_000.0,
    900_000.0, 30_000.0, 35_000.0, 10_000.0, 120_000.0, 5_000.0, 50_000.0, 300_000.0, 500_000.0, 200_000.0, 150_000.0,
    800_000.0, 18_000.0, 2_500.0, 60_000.0, 40_000.0, 8_000.0, 3_000.0,
];

/// The catalogue index of a product name.
pub(crate) fn product_index(name: &str) -> Option<usize> {
    PRODUCTS.simplified().iter().position(|p| *p == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_product_has_a_price() {
        assert_eq!(PRODUCTS.len(), PRICES.len());
        assert!(PRICES.iter().all(|p| *p > 1000.0));
        assert_eq!(product_index("叉车"), Some(26));
    }
}
