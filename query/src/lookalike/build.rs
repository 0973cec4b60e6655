//! Builds every customer's vector from the store: one grouped DuckDB pass per table
//! (customers; orders by customer and product; interactions by customer, kind and
//! channel), then the blocks of [`super::layout`] assembled in parallel, normalised,
//! quantised and written column by column. Never reads the ground truth.

use duckdb::Connection;
use kesou_domain::{Channel, Industry, InteractionKind, Region, Size, geo};
use kesou_indexer::{Progress, store};
use rayon::prelude::*;

use super::layout::{
    BINS, BlockKind, Layout, MAX_PRODUCTS, MAX_TAGS, WORD_BUCKETS, quantile_centres, soft_bins,
};
use super::vectors::{Header, Vectors};
use crate::Result;

/// Separates list items inside one SQL string (tags).
const SEP: char = '\u{1f}';

/// What the store says about one customer, as read for its vector.
#[derive(Debug, Default, Clone)]
struct Customer {
    rowid: i64,
    id: String,
    name: String,
    industry: Option<String>,
    region: Option<String>,
    province: Option<String>,
    size: Option<String>,
    employees: Option<f64>,
    capital: Option<f64>,
    annual: Option<f64>,
    orders: Option<f64>,
    recency_days: Option<f64>,
    tags: Vec<String>,
    description: Option<String>,
    products: Vec<(usize, f32)>,
    kinds: Vec<(usize, f32)>,
    channels: Vec<(usize, f32)>,
}

/// Reads the store and builds its vectors.
pub(crate) fn build(conn: &Connection, progress: &dyn Progress) -> Result<Vectors> {
    let generation = store::generation(conn)?;
    let (store_rows, max_rowid): (i64, i64) = conn.query_row(
        "SELECT count(*), coalesce(max(rowid), -1) FROM customers",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let phase = progress.phase("lookalike vectors", Some(store_rows as u64 * 2));
    let (as_of, _) = store::as_of(conn)?;
    let mut customers = read_customers(conn, &as_of.to_string())?;
    phase.advance(store_rows as u64 / 2);
    let products = vocabulary(
        conn,
        "SELECT product, count(*) FROM orders WHERE product IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
        MAX_PRODUCTS,
    )?;
    let tags = vocabulary(
        conn,
        "SELECT t, count(*) FROM (SELECT unnest(tags) AS t FROM customers) WHERE t IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
        MAX_TAGS,
    )?;
    read_orders(conn, &mut customers, &products)?;
    read_interactions(conn, &mut customers)?;
    phase.advance(store_rows as u64 / 2);
    let layout = layout(&customers, products, tags);
    let n = customers.len();
    let dim = layout.dim();
    // Row-major while assembling (rows are independent), then transposed to columns.
    let mut rows = vec![0u8; n * dim.max(1)];
    let mut scales = vec![0f32; n];
    rows.par_chunks_mut(dim.max(1))
        .zip(scales.par_iter_mut())
        .zip(customers.par_iter())
        .for_each(|((out, scale), c)| {
            let v = vector(c, &layout);
            *scale = quantise(&v, out);
        });
    phase.advance(store_rows as u64 / 2);
    let mut columns = vec![0u8; n * dim];
    for (r, row) in rows.chunks_exact(dim.max(1)).enumerate().take(n) {
        for (d, &x) in row.iter().take(dim).enumerate() {
            columns[d * n + r] = x;
        }
    }
    phase.advance(store_rows as u64 / 2);
    let ids: Vec<String> = customers.iter().map(|c| c.id.clone()).collect();
    Ok(Vectors {
        id_order: super::vectors::id_order(&ids),
        header: Header {
            generation,
            rows: n,
            store_rows: store_rows as u64,
            max_rowid,
            layout,
        },
        ids,
        names: customers
            .iter()
            .map(|c| c.name.replace('\n', " "))
            .collect(),
        purchases: customers.iter().map(|c| c.annual).collect(),
        rowids: customers.iter().map(|c| c.rowid).collect(),
        scales,
        columns,
    })
}

fn read_customers(conn: &Connection, as_of: &str) -> Result<Vec<Customer>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT rowid, id, industry, region, province, size, employees::DOUBLE,
                registered_capital, annual_purchase, order_count::DOUBLE,
                date_diff('day', last_order_date, ?::DATE)::DOUBLE,
                array_to_string(tags, '{SEP}'), description, name
         FROM customers ORDER BY rowid"
    ))?;
    let rows = stmt.query_map([as_of], |r| {
        Ok(Customer {
            rowid: r.get(0)?,
            id: r.get(1)?,
            industry: r.get(2)?,
            region: r.get(3)?,
            province: r.get(4)?,
            size: r.get(5)?,
            employees: r.get(6)?,
            capital: r.get(7)?,
            annual: r.get(8)?,
            orders: r.get(9)?,
            recency_days: r.get(10)?,
            tags: r
                .get::<_, Option<String>>(11)?
                .map(|t| {
                    t.split(SEP)
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            description: r.get(12)?,
            name: r.get(13)?,
            ..Customer::default()
        })
    })?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

/// The most frequent values of a statement's first column, at most `max`.
fn vocabulary(conn: &Connection, sql: &str, max: usize) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(sql)?;
    let rows = stmt.query_map([max as i64], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<std::result::Result<_, _>>()?)
}

fn row_of(customers: &[Customer], rowid: i64) -> Option<usize> {
    customers.binary_search_by_key(&rowid, |c| c.rowid).ok()
}

fn read_orders(conn: &Connection, customers: &mut [Customer], products: &[String]) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT c.rowid, o.product, count(*)::DOUBLE
         FROM orders o JOIN customers c ON c.id = o.customer_id
         WHERE o.product IS NOT NULL GROUP BY ALL",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (rowid, product, count): (i64, String, f64) = (r.get(0)?, r.get(1)?, r.get(2)?);
        if let (Some(row), Some(p)) = (
            row_of(customers, rowid),
            products.iter().position(|x| *x == product),
        ) {
            customers[row].products.push((p, count as f32));
        }
    }
    Ok(())
}

fn read_interactions(conn: &Connection, customers: &mut [Customer]) -> Result<()> {
    let mut stmt = conn.prepare(
        "SELECT c.rowid, i.kind, i.channel, count(*)::DOUBLE
         FROM interactions i JOIN customers c ON c.id = i.customer_id GROUP BY ALL",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let rowid: i64 = r.get(0)?;
        let kind: Option<String> = r.get(1)?;
        let channel: Option<String> = r.get(2)?;
        let count = r.get::<_, f64>(3)? as f32;
        let Some(row) = row_of(customers, rowid) else {
            continue;
        };
        let c = &mut customers[row];
        if let Some(k) = kind.and_then(|k| InteractionKind::ALL.iter().position(|x| x.zh() == k)) {
            c.kinds.push((k, count));
        }
        if let Some(ch) = channel.and_then(|ch| Channel::ALL.iter().position(|x| x.zh() == ch)) {
            c.channels.push((ch, count));
        }
    }
    Ok(())
}

fn names<T: Copy>(all: &[T], zh: fn(T) -> &'static str) -> Vec<String> {
    all.iter().map(|x| zh(*x).to_owned()).collect()
}

fn ln1p(v: Option<f64>) -> Option<f64> {
    v.filter(|x| *x >= 0.0).map(f64::ln_1p)
}

/// The blocks, with vocabularies from the store and bin centres from its distribution.
fn layout(customers: &[Customer], products: Vec<String>, tags: Vec<String>) -> Layout {
    let centres = |f: fn(&Customer) -> Option<f64>| {
        quantile_centres(customers.iter().filter_map(f).collect(), BINS)
    };
    let bins = |none: Option<&str>, centres: &[f64]| {
        none.map(str::to_owned)
            .into_iter()
            .chain((1..=centres.len()).map(|i| format!("{i}档")))
            .collect::<Vec<_>>()
    };
    let mut l = Layout::new();
    l.push(
        BlockKind::Industry,
        names(Industry::ALL, Industry::zh),
        vec![],
    );
    l.push(BlockKind::Region, names(Region::ALL, Region::zh), vec![]);
    l.push(
        BlockKind::Province,
        geo::PROVINCES.iter().map(|p| p.name.to_owned()).collect(),
        vec![],
    );
    l.push(BlockKind::Size, names(Size::ALL, Size::zh), vec![]);
    let employees = centres(|c| ln1p(c.employees));
    l.push(BlockKind::Employees, bins(None, &employees), employees);
    let capital = centres(|c| ln1p(c.capital));
    l.push(BlockKind::Capital, bins(None, &capital), capital);
    let annual = centres(|c| ln1p(c.annual.filter(|a| *a > 0.0)));
    l.push(BlockKind::Annual, bins(Some("无采购"), &annual), annual);
    let orders = centres(|c| ln1p(c.orders.filter(|o| *o > 0.0)));
    l.push(BlockKind::Orders, bins(Some("无订单"), &orders), orders);
    let recency = centres(|c| c.recency_days.map(|d| d.max(0.0).sqrt()));
    l.push(BlockKind::Recency, bins(Some("无订单"), &recency), recency);
    l.push(BlockKind::Products, products, vec![]);
    l.push(
        BlockKind::Kinds,
        names(InteractionKind::ALL, InteractionKind::zh),
        vec![],
    );
    l.push(
        BlockKind::Channels,
        names(Channel::ALL, Channel::zh),
        vec![],
    );
    l.push(BlockKind::Tags, tags, vec![]);
    l.push(
        BlockKind::Words,
        (0..WORD_BUCKETS).map(|i| format!("词{i}")).collect(),
        vec![],
    );
    l
}

/// One customer's unit vector (all zeros when the store knows nothing of it).
fn vector(c: &Customer, layout: &Layout) -> Vec<f32> {
    let mut v = vec![0f32; layout.dim()];
    for b in &layout.blocks {
        let mut part: Vec<(usize, f32)> = Vec::new();
        let one = |value: &Option<String>| {
            value
                .as_deref()
                .and_then(|x| b.labels.iter().position(|l| l == x))
                .map(|i| vec![(i, 1.0)])
                .unwrap_or_default()
        };
        // Binned numbers with a "none" dimension first: the customer never ordered.
        let binned = |value: Option<f64>, none: bool| {
            let shift = usize::from(none);
            match value {
                None if none => vec![(0, 1.0)],
                None => Vec::new(),
                Some(x) => soft_bins(x, &b.centres)
                    .into_iter()
                    .map(|(i, w)| (i + shift, w))
                    .collect(),
            }
        };
        match b.kind {
            BlockKind::Industry => part = one(&c.industry),
            BlockKind::Region => part = one(&c.region),
            BlockKind::Province => part = one(&c.province),
            BlockKind::Size => part = one(&c.size),
            BlockKind::Employees => part = binned(ln1p(c.employees), false),
            BlockKind::Capital => part = binned(ln1p(c.capital), false),
            BlockKind::Annual => part = binned(ln1p(c.annual.filter(|a| *a > 0.0)), true),
            BlockKind::Orders => part = binned(ln1p(c.orders.filter(|o| *o > 0.0)), true),
            BlockKind::Recency => {
                let bought = c.orders.is_some_and(|o| o > 0.0);
                let days = c.recency_days.filter(|_| bought).map(|d| d.max(0.0).sqrt());
                part = binned(days, true);
            }
            BlockKind::Products => part = mix(&c.products),
            BlockKind::Kinds => part = mix(&c.kinds),
            BlockKind::Channels => part = mix(&c.channels),
            BlockKind::Tags => {
                for t in &c.tags {
                    if let Some(i) = b.labels.iter().position(|l| l == t) {
                        part.push((i, 1.0));
                    }
                }
            }
            BlockKind::Words => part = words(c.description.as_deref().unwrap_or("")),
        }
        let norm = part.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        if norm > 0.0 {
            for (i, w) in part {
                v[b.offset + i] += w / norm * b.weight;
            }
        }
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

/// A mix of counts as the square roots of their shares (unit length already).
fn mix(counts: &[(usize, f32)]) -> Vec<(usize, f32)> {
    let total: f32 = counts.iter().map(|(_, c)| c).sum();
    if total <= 0.0 {
        return Vec::new();
    }
    counts
        .iter()
        .map(|(i, c)| (*i, (c / total).sqrt()))
        .collect()
}

/// Hashed bigrams of the Chinese characters of a description (traditional folded to
/// simplified), signed so collisions cancel rather than pile up.
pub(crate) fn words(text: &str) -> Vec<(usize, f32)> {
    let text = kesou_domain::text::to_simplified(text);
    let mut buckets = [0f32; WORD_BUCKETS];
    let mut prev: Option<char> = None;
    for ch in text.chars() {
        if !('\u{4e00}'..='\u{9fff}').contains(&ch) {
            prev = None;
            continue;
        }
        if let Some(p) = prev {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for x in [u32::from(p), u32::from(ch)] {
                h ^= u64::from(x);
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
            h ^= h >> 29;
            let sign = if h & (1 << 40) == 0 { 1.0 } else { -1.0 };
            buckets[(h % WORD_BUCKETS as u64) as usize] += sign;
        }
        prev = Some(ch);
    }
    buckets
        .iter()
        .enumerate()
        .filter(|(_, w)| **w != 0.0)
        .map(|(i, w)| (i, *w))
        .collect()
}

/// Quantises a unit vector to i8 (as u8) with one scale: the largest magnitude becomes 127.
pub(crate) fn quantise(v: &[f32], out: &mut [u8]) -> f32 {
    let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
    if max == 0.0 {
        out.iter_mut().for_each(|x| *x = 0);
        return 0.0;
    }
    let step = max / 127.0;
    for (o, x) in out.iter_mut().zip(v) {
        *o = ((x / step).round().clamp(-127.0, 127.0) as i8) as u8;
    }
    step
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_vector_is_unit_length_and_blocks_weigh_what_they_say() {
        let c = Customer {
            industry: Some("科技".into()),
            region: Some("华东".into()),
            ..Customer::default()
        };
        let l = layout(
            std::slice::from_ref(&c),
            vec!["云服务器".into()],
            vec!["国企".into()],
        );
        let v = vector(&c, &l);
        let norm: f32 = v.iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        let ind = l.block(BlockKind::Industry).unwrap().offset;
        let reg = l.block(BlockKind::Region).unwrap().offset;
        // Industry (weight 1.0) against region (0.5), the only blocks present with the
        // "none" dims of the purchase blocks (0.5, 0.4, 0.4).
        assert!((v[ind] / v[reg] - 2.0).abs() < 1e-5);
    }

    #[test]
    fn product_mix_is_unit_whatever_the_counts() {
        let m = mix(&[(0, 1.0), (1, 3.0)]);
        let norm: f32 = m.iter().map(|(_, w)| w * w).sum();
        assert!((norm - 1.0).abs() < 1e-6);
        assert!(mix(&[]).is_empty());
    }

    #[test]
    fn words_fold_traditional_and_ignore_punctuation() {
        assert_eq!(words("精密机械"), words("精密機械"));
        assert_eq!(words("，。"), []);
        assert!(!words("精密零部件加工").is_empty());
    }

    #[test]
    fn quantisation_keeps_the_largest_at_127() {
        let mut out = [0u8; 3];
        let s = quantise(&[0.5, -0.25, 0.0], &mut out);
        assert_eq!(out.map(|x| x as i8), [127, -64, 0]);
        assert!((s - 0.5 / 127.0).abs() < 1e-9);
    }
}
