"""Message catalogue for the CLI and errors in zh-CN and en."""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "error.generic": {"en": "Something went wrong: {detail}", "zh-CN": "出错了：{detail}"},
    "error.not_found": {"en": "{what} not found: {ident}", "zh-CN": "未找到{what}：{ident}"},
    "error.invalid": {"en": "Invalid input: {detail}", "zh-CN": "输入无效：{detail}"},
    "models.too_little": {
        "en": "Too little history to check the models: {repeaters} customers bought again "
        "before the holdout, {needed} are needed. Try a shorter --holdout-days.",
        "zh-CN": "历史数据不足，无法检验模型：留出期之前只有 {repeaters} 位客户复购，"
        "至少需要 {needed} 位。请缩短 --holdout-days。",
    },
    "settings.invalid": {
        "en": "Invalid setting: {detail}",
        "zh-CN": "配置无效：{detail}",
    },
    "store.missing": {
        "en": "No siyu store at {url}. Run `siyu init` first.",
        "zh-CN": "{url} 处没有 siyu 数据库，请先运行 `siyu init`。",
    },
    "store.behind": {
        "en": "The store at {url} is at revision {current}, the code needs {head}. "
        "Run `siyu init` to upgrade.",
        "zh-CN": "{url} 处的数据库版本为 {current}，程序需要 {head}，请运行 `siyu init` 升级。",
    },
    "store.ready": {
        "en": "Store ready at {url} (revision {head}).",
        "zh-CN": "数据库已就绪：{url}（版本 {head}）。",
    },
    "workspace.missing": {
        "en": "Workspace '{slug}' does not exist. Run `siyu workspace create {slug}`.",
        "zh-CN": "工作区“{slug}”不存在，请运行 `siyu workspace create {slug}`。",
    },
    "import.unreadable": {
        "en": "Cannot read {file}: {reason}. Nothing was imported.",
        "zh-CN": "无法读取 {file}：{reason}。未导入任何数据。",
    },
    "import.preset_unknown": {
        "en": "Unknown preset '{name}'. Known presets: {known}.",
        "zh-CN": "未知的预设“{name}”。可用预设：{known}。",
    },
    "import.mapping_invalid": {
        "en": "Mapping file {file} is invalid: {reason}",
        "zh-CN": "映射文件 {file} 无效：{reason}",
    },
    "import.missing_columns": {
        "en": "{file} lacks columns that '{preset}' needs: {columns}. Nothing was imported.",
        "zh-CN": "{file} 缺少“{preset}”所需的列：{columns}。未导入任何数据。",
    },
    "store.unreachable": {
        "en": "Cannot reach the store at {url}: {reason}",
        "zh-CN": "无法连接数据库 {url}：{reason}",
    },
    "import.summary": {
        "en": "{file}: {accepted} rows accepted, {rejected} rejected; "
        "{created} orders created, {updated} updated, {unchanged} unchanged.",
        "zh-CN": "{file}：接受 {accepted} 行，拒绝 {rejected} 行；"
        "新建订单 {created} 个，更新 {updated} 个，未变 {unchanged} 个。",
    },
    "import.table_summary": {
        "en": "{file}: {accepted} rows accepted, {rejected} rejected; "
        "{created} created, {updated} updated, {unchanged} unchanged.",
        "zh-CN": "{file}：接受 {accepted} 行，拒绝 {rejected} 行；"
        "新建 {created}，更新 {updated}，未变 {unchanged}。",
    },
    "demo.already_loaded": {
        "en": "Workspace '{workspace}' already holds orders: the demo brand was not loaded again.",
        "zh-CN": "工作区“{workspace}”已有订单，未重复载入演示品牌。",
    },
    "key.missing": {
        "en": "No personal-data key: set SIYU_PII_KEY or run `siyu init` to create {path}.",
        "zh-CN": "缺少个人数据密钥：请设置 SIYU_PII_KEY，或运行 `siyu init` 生成 {path}。",
    },
    "report.bad_date": {
        "en": "Cannot read the date '{value}': use YYYY-MM-DD (or YYYY-MM, YYYY).",
        "zh-CN": "无法识别日期“{value}”：请使用 YYYY-MM-DD（或 YYYY-MM、YYYY）。",
    },
    "report.unwritable": {
        "en": "Cannot write {path}: {reason}.",
        "zh-CN": "无法写入 {path}：{reason}。",
    },
    "report.written": {
        "en": "{what} written to {path}",
        "zh-CN": "{what} 已写入 {path}",
    },
    "key.invalid": {
        "en": "The personal-data key must be 32 bytes in base64.",
        "zh-CN": "个人数据密钥必须是 base64 编码的 32 字节。",
    },
}


def translate(key: str, locale: str = "en", **params: Any) -> str:
    """Return the message for `key` in `locale` (falling back to English), formatted."""
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    template = entry.get(locale) or entry["en"]
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template
