//! Why a customer is like the seeds, in words a salesperson reads: the blocks that added
//! most to the cosine (`Σ query[d]·row[d]` over each block's dimensions), best first,
//! each said the way sales say it: 同为华东 · 科技行业 · 年采购额100–500万 · 主购产品相同（刀具耗材、精密轴承）.

use super::layout::{Block, BlockKind, Layout};

/// At most this many reasons per customer.
const MAX_REASONS: usize = 4;
/// A block must add at least this share of the score to be given as a reason.
const MIN_SHARE: f32 = 0.06;

/// The reasons `row` is like `query` (both unit vectors in `layout`), best first.
/// `annual` is the customer's 年采购额, to name its band.
pub(crate) fn reasons(
    layout: &Layout,
    query: &[f32],
    row: &[f32],
    annual: Option<f64>,
) -> Vec<String> {
    let total: f32 = query.iter().zip(row).map(|(q, x)| q * x).sum();
    let mut parts: Vec<(f32, &Block)> = layout
        .blocks
        .iter()
        .map(|b| (b.range().map(|d| query[d] * row[d]).sum::<f32>(), b))
        .filter(|(c, _)| *c > 0.0 && *c >= MIN_SHARE * total.max(0.0))
        .collect();
    parts.sort_by(|a, b| b.0.total_cmp(&a.0));
    let has_province = parts
        .iter()
        .take(MAX_REASONS)
        .any(|(_, b)| b.kind == BlockKind::Province);
    parts
        .iter()
        .filter(|(_, b)| !(has_province && b.kind == BlockKind::Region))
        .take(MAX_REASONS)
        .filter_map(|(_, b)| phrase(layout, b, query, row, annual))
        .collect()
}

/// The labels of a block's dimensions that add most, at most `n`.
fn top_labels<'a>(b: &'a Block, query: &[f32], row: &[f32], n: usize) -> Vec<&'a str> {
    let mut dims: Vec<(f32, usize)> = b
        .range()
        .map(|d| (query[d] * row[d], d - b.offset))
        .filter(|(c, _)| *c > 0.0)
        .collect();
    dims.sort_by(|a, b| b.0.total_cmp(&a.0));
    dims.iter()
        .take(n)
        .map(|(_, i)| b.labels[*i].as_str())
        .collect()
}

/// The customer's own value in a one-hot block.
fn own<'a>(b: &'a Block, row: &[f32]) -> Option<&'a str> {
    b.range()
        .filter(|d| row[*d] > 0.0)
        .max_by(|x, y| row[*x].total_cmp(&row[*y]))
        .map(|d| b.labels[d - b.offset].as_str())
}

fn phrase(
    layout: &Layout,
    b: &Block,
    query: &[f32],
    row: &[f32],
    annual: Option<f64>,
) -> Option<String> {
    let _ = layout;
    let none = |b: &Block| own(b, row) == b.labels.first().map(String::as_str);
    Some(match b.kind {
        BlockKind::Industry => format!("同为{}行业", own(b, row)?),
        BlockKind::Region => format!("同为{}", own(b, row)?),
        BlockKind::Province => format!("同在{}", own(b, row)?),
        BlockKind::Size => format!("同为{}企业", own(b, row)?),
        BlockKind::Employees => "员工规模相近".into(),
        BlockKind::Capital => "注册资本相近".into(),
        BlockKind::Annual if none(b) => "都没有采购记录".into(),
        BlockKind::Annual => band(annual?),
        BlockKind::Orders if none(b) => "都未下过单".into(),
        BlockKind::Orders => "下单次数相近".into(),
        BlockKind::Recency if none(b) => return None,
        BlockKind::Recency => "最近下单时间相近".into(),
        BlockKind::Products => {
            format!(
                "主购产品相同（{}）",
                top_labels(b, query, row, 2).join("、")
            )
        }
        BlockKind::Kinds => format!("互动多为{}", top_labels(b, query, row, 1).first()?),
        BlockKind::Channels => format!("常用{}联系", top_labels(b, query, row, 1).first()?),
        BlockKind::Tags => format!("同有标签{}", top_labels(b, query, row, 2).join("、")),
        BlockKind::Words => "简介用词相近".into(),
    })
}

/// The purchase band sales talk in.
pub(crate) fn band(annual: f64) -> String {
    let wan = annual / 10_000.0;
    let b = match wan {
        w if w <= 0.0 => return "今年无采购".into(),
        w if w < 10.0 => "10万以下",
        w if w < 50.0 => "10–50万",
        w if w < 100.0 => "50–100万",
        w if w < 500.0 => "100–500万",
        w if w < 1000.0 => "500–1000万",
        _ => "1000万以上",
    };
    format!("年采购额{b}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        let mut l = Layout::new();
        l.push(
            BlockKind::Industry,
            vec!["科技".into(), "制造".into()],
            vec![],
        );
        l.push(
            BlockKind::Region,
            vec!["华东".into(), "华南".into()],
            vec![],
        );
        l.push(
            BlockKind::Products,
            vec!["刀具耗材".into(), "精密轴承".into(), "云服务器".into()],
            vec![],
        );
        l.push(
            BlockKind::Annual,
            vec!["无采购".into(), "1档".into()],
            vec![1.0],
        );
        l
    }

    #[test]
    fn reasons_name_the_blocks_that_add_most_first() {
        let l = layout();
        // industry 制造, region 华东, products 刀具耗材 + 精密轴承, bought.
        let q = [0.0, 0.5, 0.3, 0.0, 0.5, 0.4, 0.0, 0.0, 0.3];
        let x = [0.0, 0.7, 0.3, 0.0, 0.4, 0.3, 0.1, 0.0, 0.2];
        let r = reasons(&l, &q, &x, Some(2_000_000.0));
        assert_eq!(
            r,
            [
                "同为制造行业",
                "主购产品相同（刀具耗材、精密轴承）",
                "同为华东",
                "年采购额100–500万"
            ]
        );
    }

    #[test]
    fn blocks_that_disagree_are_not_reasons() {
        let l = layout();
        let q = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let x = [1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        assert_eq!(reasons(&l, &q, &x, None), ["同为科技行业"]);
    }

    #[test]
    fn bands_read_like_sales_talk() {
        assert_eq!(band(0.0), "今年无采购");
        assert_eq!(band(1_500_000.0), "年采购额100–500万");
        assert_eq!(band(20_000_000.0), "年采购额1000万以上");
    }
}
