//! The upsert of staged rows and the derived columns of the glossary, in DuckDB SQL,
//! relative to `as_of`. Runs inside the ingest (or delete) transaction; every customer whose
//! stored or derived values change gets the new generation, which is how the index learns
//! what to re-index.

use chrono::NaiveDate;
use duckdb::{Connection, params};

use crate::Result;

/// Moves the staged rows into the contract tables (later rows win) and records which
/// customers they touch in `_touched`.
pub fn upsert_staged(conn: &Connection, generation: u64) -> Result<()> {
    conn.execute_batch(
        r#"
        CREATE OR REPLACE TEMP TABLE _new_customers AS
            SELECT * EXCLUDE (_seq) FROM _stage_customers
            QUALIFY row_number() OVER (PARTITION BY id ORDER BY _seq DESC) = 1;
        CREATE OR REPLACE TEMP TABLE _new_orders AS
            SELECT * EXCLUDE (_seq) FROM _stage_orders
            QUALIFY row_number() OVER (PARTITION BY id ORDER BY _seq DESC) = 1;
        CREATE OR REPLACE TEMP TABLE _new_interactions AS
            SELECT * EXCLUDE (_seq) FROM _stage_interactions
            QUALIFY row_number() OVER (PARTITION BY id ORDER BY _seq DESC) = 1;
        CREATE OR REPLACE TEMP TABLE _touched AS
            SELECT id FROM _new_customers
            UNION SELECT customer_id FROM _new_orders
            UNION SELECT customer_id FROM _new_interactions
            UNION SELECT o.customer_id FROM orders o SEMI JOIN _new_orders n ON o.id = n.id
            UNION SELECT i.customer_id FROM interactions i SEMI JOIN _new_interactions n ON i.id = n.id;
        -- The tags a reloaded customer had: derive keeps the ones user rules own.
        CREATE OR REPLACE TEMP TABLE _old_tags AS
            SELECT id, tags FROM customers WHERE id IN (SELECT id FROM _new_customers);
        DELETE FROM customers WHERE id IN (SELECT id FROM _new_customers);
        DELETE FROM orders WHERE id IN (SELECT id FROM _new_orders);
        DELETE FROM interactions WHERE id IN (SELECT id FROM _new_interactions);
        INSERT INTO orders SELECT id, customer_id, order_date, amount, product FROM _new_orders;
        INSERT INTO interactions SELECT id, customer_id, ts, channel, kind, note FROM _new_interactions;
        "#,
    )?;
    conn.execute(
        r#"INSERT INTO customers (id, name, credit_code, region, province, city, industry, size, employees,
               registered_capital, founded_date, owner, tags, contact_name, contact_phone, email, description,
               created_at, source_tags, name_key, _gen)
           SELECT id, name, credit_code, region, province, city, industry, size, employees, registered_capital,
               founded_date, owner, coalesce(o.tags, source_tags), contact_name, contact_phone, email,
               description, created_at, source_tags, name_key, ?
           FROM _new_customers LEFT JOIN _old_tags o USING (id)"#,
        params![generation as i64],
    )?;
    Ok(())
}

/// Recomputes every customer's derived columns as of `as_of` and stamps the customers whose
/// values changed (or that are in `_touched`) with `generation`. Returns how many changed.
pub fn derive(conn: &Connection, as_of: NaiveDate, generation: u64) -> Result<usize> {
    let as_of = as_of.to_string();
    let rule_tags = crate::store::get_meta(conn, crate::store::RULE_TAGS)?.unwrap_or_default();
    conn.execute(
        r#"CREATE OR REPLACE TEMP TABLE _derived AS
        WITH o AS (
            SELECT customer_id,
                sum(amount) FILTER (WHERE order_date > $1::DATE - 365) AS annual_purchase,
                sum(amount) AS total_purchase,
                count(*) AS order_count,
                max(order_date) AS last_order_date,
                count(*) FILTER (WHERE order_date > $1::DATE - 365) AS orders_365,
                count(*) FILTER (WHERE order_date > $1::DATE - 180) AS orders_180,
                count(*) FILTER (WHERE order_date > $1::DATE - 90) AS orders_90
            FROM orders WHERE order_date <= $1::DATE GROUP BY customer_id
        ), cycle AS (
            -- 复购周期: the median number of days between a customer's consecutive orders.
            SELECT customer_id, median(gap) AS repurchase_days FROM (
                SELECT customer_id,
                    order_date - lag(order_date) OVER (PARTITION BY customer_id ORDER BY order_date) AS gap
                FROM orders WHERE order_date <= $1::DATE)
            WHERE gap IS NOT NULL GROUP BY customer_id
        ), i AS (
            SELECT customer_id,
                count(*) FILTER (WHERE kind = '咨询' AND ts::DATE > $1::DATE - 30) AS consult_30d,
                count(*) FILTER (WHERE kind = '咨询' AND ts::DATE > $1::DATE - 90) AS consult_90,
                count(*) FILTER (WHERE kind = '投诉' AND ts::DATE > $1::DATE - 365) AS complaints_365,
                count(*) FILTER (WHERE kind = '报修' AND ts::DATE > $1::DATE - 365) AS repairs_365,
                count(*) FILTER (WHERE ts::DATE > $1::DATE - 180) AS inter_180,
                count(*) FILTER (WHERE ts::DATE > $1::DATE - 90) AS inter_90
            FROM interactions WHERE ts::DATE <= $1::DATE GROUP BY customer_id
        ), base AS (
            SELECT c.id, c.source_tags, c.tags AS old_tags,
                coalesce(o.annual_purchase, 0) AS annual_purchase,
                coalesce(o.total_purchase, 0) AS total_purchase,
                coalesce(o.order_count, 0)::INTEGER AS order_count,
                o.last_order_date,
                coalesce(i.consult_30d, 0)::INTEGER AS consult_30d,
                coalesce(i.consult_90, 0) AS consult_90,
                coalesce(i.complaints_365, 0) AS complaints_365,
                coalesce(i.repairs_365, 0) AS repairs_365,
                cycle.repurchase_days,
                coalesce(o.orders_365, 0) AS orders_365,
                coalesce(o.orders_180, 0) AS orders_180,
                coalesce(o.orders_90, 0) AS orders_90,
                coalesce(i.inter_180, 0) AS inter_180,
                coalesce(i.inter_90, 0) AS inter_90
            FROM customers c LEFT JOIN o ON o.customer_id = c.id LEFT JOIN i ON i.customer_id = c.id
                LEFT JOIN cycle ON cycle.customer_id = c.id
        ), ranked AS (
            -- Buyers first, by annual purchase: a buyer's row number is its rank among buyers.
            -- (A filtered count(*) OVER () here cost minutes at 1M customers.)
            SELECT *, row_number() OVER (ORDER BY order_count > 0 DESC, annual_purchase DESC, id) AS value_rank
            FROM base
        ), buyers AS (
            SELECT count(*) AS n FROM base WHERE order_count > 0
        ), levelled AS (
            SELECT ranked.*,
                CASE WHEN order_count = 0 AND inter_180 = 0 THEN '潜在'
                     WHEN order_count = 0 THEN '意向'
                     WHEN orders_180 = 0 THEN '流失'
                     WHEN orders_365 >= 3 THEN '忠诚'
                     ELSE '成交' END AS lifecycle,
                CASE WHEN order_count > 0 AND value_rank <= buyers.n * 0.2 THEN '高'
                     WHEN order_count > 0 AND value_rank <= buyers.n * 0.5 THEN '中'
                     ELSE '低' END AS value_level
            FROM ranked, buyers
        ), rfm_raw AS (
            -- RFM over customers with orders, over their whole history: recency in days since
            -- the last order, frequency = order_count, monetary = total_purchase (a customer
            -- who bought much long ago is the 重要挽留客户 sales should call).
            SELECT id, ($1::DATE - last_order_date) AS recency, order_count AS frequency,
                total_purchase AS monetary, total_purchase / order_count AS arpu
            FROM base WHERE order_count > 0
        ), rfm AS (
            -- Scores 1-5 by percent rank (equal values share a score; 5 is best: most recent,
            -- most frequent, most spent); high/low against the buyers' mean, as the eight
            -- classic segments are defined.
            SELECT r.id,
                least(5, 1 + floor(percent_rank() OVER (ORDER BY recency DESC) * 5))::INTEGER AS r_score,
                least(5, 1 + floor(percent_rank() OVER (ORDER BY frequency) * 5))::INTEGER AS f_score,
                least(5, 1 + floor(percent_rank() OVER (ORDER BY monetary) * 5))::INTEGER AS m_score,
                CASE
                    WHEN recency < m.avg_r AND frequency > m.avg_f AND monetary > m.avg_m THEN '重要价值客户'
                    WHEN recency < m.avg_r AND frequency <= m.avg_f AND monetary > m.avg_m THEN '重要发展客户'
                    WHEN recency >= m.avg_r AND frequency > m.avg_f AND monetary > m.avg_m THEN '重要保持客户'
                    WHEN recency >= m.avg_r AND frequency <= m.avg_f AND monetary > m.avg_m THEN '重要挽留客户'
                    WHEN recency < m.avg_r AND frequency > m.avg_f THEN '一般价值客户'
                    WHEN recency < m.avg_r THEN '一般发展客户'
                    WHEN frequency > m.avg_f THEN '一般保持客户'
                    ELSE '一般挽留客户' END AS rfm_segment,
                -- Value tags: LTV (total purchase) and ARPU (average order) in thirds of buyers.
                CASE WHEN percent_rank() OVER (ORDER BY monetary) >= 2.0 / 3 THEN 'LTV高'
                     WHEN percent_rank() OVER (ORDER BY monetary) >= 1.0 / 3 THEN 'LTV中'
                     ELSE 'LTV低' END AS ltv_tag,
                CASE WHEN percent_rank() OVER (ORDER BY arpu) >= 2.0 / 3 THEN 'ARPU高'
                     WHEN percent_rank() OVER (ORDER BY arpu) >= 1.0 / 3 THEN 'ARPU中'
                     ELSE 'ARPU低' END AS arpu_tag
            FROM rfm_raw r, (SELECT avg(recency) AS avg_r, avg(frequency) AS avg_f,
                avg(monetary) AS avg_m FROM rfm_raw) m
        )
        SELECT id, annual_purchase, total_purchase, order_count, last_order_date, consult_30d, lifecycle,
            value_level,
            -- Source tags, then derived tags, then the tags of user rules (named in meta
            -- rule_tags, applied by `kesou tags`), which keep their place until the rules run
            -- again; a rule owns its tag name, so a derived tag of the same name gives way.
            list_concat(list_concat(coalesce(source_tags, []::VARCHAR[]), list_filter([
                CASE WHEN orders_90 > 0 OR inter_90 > 0 THEN '活跃' END,
                CASE WHEN orders_180 = 0 AND inter_180 = 0 THEN '沉睡' END,
                CASE WHEN consult_30d >= 5 AND order_count = 0 THEN '高意向待转化' END,
                CASE WHEN orders_365 >= 2 THEN '复购客户' END,
                CASE WHEN value_level = '高' THEN '高价值客户' END,
                -- Behaviour: 复购周期 (median days between orders) and 服务诉求 (interaction kinds).
                CASE WHEN repurchase_days <= 30 THEN '复购周期≤30天'
                     WHEN repurchase_days <= 90 THEN '复购周期31-90天'
                     WHEN repurchase_days <= 180 THEN '复购周期91-180天'
                     WHEN repurchase_days > 180 THEN '复购周期>180天' END,
                CASE WHEN complaints_365 >= 3 THEN '多次投诉' END,
                CASE WHEN repairs_365 >= 3 THEN '多次报修' END,
                CASE WHEN consult_90 >= 5 THEN '频繁咨询' END,
                rfm.ltv_tag,
                rfm.arpu_tag
            ], lambda t: t IS NOT NULL AND NOT list_contains(coalesce(source_tags, []::VARCHAR[]), t)
                AND NOT list_contains(string_split($2, chr(31)), t))),
                list_filter(coalesce(old_tags, []::VARCHAR[]), lambda t: list_contains(string_split($2, chr(31)), t)
                    AND NOT list_contains(coalesce(source_tags, []::VARCHAR[]), t))) AS tags,
            rfm.r_score, rfm.f_score, rfm.m_score, rfm.rfm_segment
        FROM levelled LEFT JOIN rfm USING (id)"#,
        params![as_of, rule_tags],
    )?;
    let changed = conn.execute(
        r#"UPDATE customers SET
            annual_purchase = d.annual_purchase, total_purchase = d.total_purchase, order_count = d.order_count,
            last_order_date = d.last_order_date, consult_30d = d.consult_30d, lifecycle = d.lifecycle,
            value_level = d.value_level, tags = d.tags, _gen = ?
        FROM _derived d
        WHERE customers.id = d.id AND (
            customers.id IN (SELECT id FROM _touched)
            OR customers.annual_purchase IS DISTINCT FROM d.annual_purchase
            OR customers.total_purchase IS DISTINCT FROM d.total_purchase
            OR customers.order_count IS DISTINCT FROM d.order_count
            OR customers.last_order_date IS DISTINCT FROM d.last_order_date
            OR customers.consult_30d IS DISTINCT FROM d.consult_30d
            OR customers.lifecycle IS DISTINCT FROM d.lifecycle
            OR customers.value_level IS DISTINCT FROM d.value_level
            OR customers.tags IS DISTINCT FROM d.tags)"#,
        params![generation as i64],
    )?;
    // RFM scores are relative to every buyer, so they move a little at each ingest; they are
    // not indexed, so they change without stamping the customer for re-indexing.
    conn.execute_batch(
        r#"UPDATE customers SET r_score = d.r_score, f_score = d.f_score, m_score = d.m_score,
            rfm_segment = d.rfm_segment
        FROM _derived d
        WHERE customers.id = d.id AND (
            customers.r_score IS DISTINCT FROM d.r_score
            OR customers.f_score IS DISTINCT FROM d.f_score
            OR customers.m_score IS DISTINCT FROM d.m_score
            OR customers.rfm_segment IS DISTINCT FROM d.rfm_segment)"#,
    )?;
    Ok(changed)
}

/// Rebuilds the duplicates report: customers that share a normalised name but not a credit
/// code. Returns (groups, customers flagged in this generation).
pub fn flag_duplicate_names(conn: &Connection, generation: u64) -> Result<(usize, usize)> {
    conn.execute_batch(
        r#"DELETE FROM duplicate_names;
        INSERT INTO duplicate_names
            SELECT name_key, id, name, credit_code FROM customers
            WHERE name_key IN (
                SELECT name_key FROM customers GROUP BY name_key HAVING count(DISTINCT credit_code) > 1)
            ORDER BY name_key, id;"#,
    )?;
    let groups: i64 = conn.query_row(
        "SELECT count(DISTINCT name_key) FROM duplicate_names",
        [],
        |r| r.get(0),
    )?;
    let new: i64 = conn.query_row(
        "SELECT count(*) FROM duplicate_names d JOIN customers c USING (id) WHERE c._gen = ?",
        params![generation as i64],
        |r| r.get(0),
    )?;
    Ok((groups as usize, new as usize))
}

/// Removes customers and their orders and interactions, leaving tombstones for the index.
/// Returns the ids that existed.
pub fn delete_customers(conn: &Connection, ids: &[String], generation: u64) -> Result<Vec<String>> {
    conn.execute_batch("CREATE OR REPLACE TEMP TABLE _delete (id VARCHAR)")?;
    {
        let mut app = conn.appender("_delete")?;
        for id in ids {
            app.append_row(params![id])?;
        }
        app.flush()?;
    }
    let mut stmt =
        conn.prepare("SELECT id FROM customers WHERE id IN (SELECT id FROM _delete) ORDER BY id")?;
    let existing: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<std::result::Result<_, _>>()?;
    conn.execute_batch(
        r#"DELETE FROM orders WHERE customer_id IN (SELECT id FROM _delete);
           DELETE FROM interactions WHERE customer_id IN (SELECT id FROM _delete);
           DELETE FROM customers WHERE id IN (SELECT id FROM _delete);
           CREATE OR REPLACE TEMP TABLE _touched AS SELECT id FROM customers WHERE false;"#,
    )?;
    conn.execute(
        "INSERT INTO tombstones SELECT id, ? FROM _delete",
        params![generation as i64],
    )?;
    Ok(existing)
}
