-- wrk script: POST /api/ask with questions taken in turn, from the file named by
-- KESOU_QUESTIONS (one question a line; blank lines and lines starting with # skipped) or
-- else from a fixed list (the DOMAIN.md examples and more), so that the load is a mix of
-- lists, groups, related tables and text.
local questions = {
  "检索华东地区年采购额超百万的科技类客户",
  "浙江的制造业客户有哪些",
  "近30天咨询≥5次且未成交的客户",
  "价值贡献TOP20客户",
  "按省份统计客户数",
  "各行业平均年采购额",
  "上海年采购额500万以上的金融客户按采购额排序",
  "tech customers in East China with annual purchase over 1 million",
  "重要挽留客户有哪些",
  "长三角的中小企业",
  "非制造业的大客户",
  "去年下过单的长三角制造企业",
  "新能源",
  "成立3年以上的医疗客户",
  "按大区统计客户数和平均年采购额",
  "近三个月有投诉的忠诚客户",
}
local file = os.getenv("KESOU_QUESTIONS")
if file and file ~= "" then
  questions = {}
  for l in io.lines(file) do
    if l ~= "" and l:sub(1, 1) ~= "#" then questions[#questions + 1] = l end
  end
end
-- A question as a JSON string (quotes, backslashes and control characters escaped).
local function json(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end
local i = 0
local headers = {["Content-Type"] = "application/json"}
local token = os.getenv("KESOU_TOKEN")
if token and token ~= "" then headers["Authorization"] = "Bearer " .. token end
request = function()
  i = i % #questions + 1
  local body = '{"q":' .. json(questions[i]) .. '}'
  return wrk.format("POST", "/api/ask", headers, body)
end

local errors = 0
response = function(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    if errors <= 3 then io.stderr:write("status " .. status .. ": " .. body:sub(1, 200) .. "\n") end
  end
end

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d rps=%.1f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f errors=%d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
