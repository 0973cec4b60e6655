// The 31 mainland provinces on a tile grid: one square each, placed roughly where the
// province lies (column west → east, row north → south), so that neighbours stay near.

const FULL = {
  北京: "北京市", 天津: "天津市", 上海: "上海市", 重庆: "重庆市", 内蒙古: "内蒙古自治区",
  广西: "广西壮族自治区", 西藏: "西藏自治区", 宁夏: "宁夏回族自治区", 新疆: "新疆维吾尔自治区",
};

export const PROVINCES = [
  // short name, column, row, code, English name
  ["黑龙江", 6, 0, "HL", "Heilongjiang"],
  ["内蒙古", 3, 1, "NM", "Inner Mongolia"],
  ["北京", 4, 1, "BJ", "Beijing"],
  ["辽宁", 5, 1, "LN", "Liaoning"],
  ["吉林", 6, 1, "JL", "Jilin"],
  ["新疆", 0, 2, "XJ", "Xinjiang"],
  ["甘肃", 1, 2, "GS", "Gansu"],
  ["宁夏", 2, 2, "NX", "Ningxia"],
  ["山西", 3, 2, "SX", "Shanxi"],
  ["河北", 4, 2, "HE", "Hebei"],
  ["天津", 5, 2, "TJ", "Tianjin"],
  ["青海", 1, 3, "QH", "Qinghai"],
  ["陕西", 2, 3, "SN", "Shaanxi"],
  ["河南", 3, 3, "HA", "Henan"],
  ["山东", 4, 3, "SD", "Shandong"],
  ["西藏", 0, 4, "XZ", "Tibet"],
  ["四川", 1, 4, "SC", "Sichuan"],
  ["重庆", 2, 4, "CQ", "Chongqing"],
  ["湖北", 3, 4, "HB", "Hubei"],
  ["安徽", 4, 4, "AH", "Anhui"],
  ["江苏", 5, 4, "JS", "Jiangsu"],
  ["上海", 6, 4, "SH", "Shanghai"],
  ["云南", 1, 5, "YN", "Yunnan"],
  ["贵州", 2, 5, "GZ", "Guizhou"],
  ["湖南", 3, 5, "HN", "Hunan"],
  ["江西", 4, 5, "JX", "Jiangxi"],
  ["浙江", 5, 5, "ZJ", "Zhejiang"],
  ["广西", 2, 6, "GX", "Guangxi"],
  ["广东", 3, 6, "GD", "Guangdong"],
  ["福建", 4, 6, "FJ", "Fujian"],
  ["海南", 3, 7, "HI", "Hainan"],
].map(([short, col, row, code, en]) => ({ short, col, row, code, en, full: FULL[short] ?? `${short}省` }));

export const COLUMNS = 7;
export const ROWS = 8;

/** The tile of a province written in full (浙江省, 广西壮族自治区) or short (浙江). */
export function provinceOf(name) {
  const text = String(name || "");
  return PROVINCES.find((p) => text.startsWith(p.short)) || null;
}
