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
    "key.invalid": {
        "en": "The personal-data key must be 32 bytes in base64.",
        "zh-CN": "个人数据密钥必须是 base64 编码的 32 字节。",
    },
    "wecom.signature_invalid": {
        "en": "WeCom callback refused: the signature does not match (forged or wrong Token).",
        "zh-CN": "已拒绝企业微信回调：签名不匹配（伪造请求或 Token 配置错误）。",
    },
    "wecom.body_malformed": {
        "en": "WeCom callback refused: the body is not a WeCom callback message.",
        "zh-CN": "已拒绝企业微信回调：请求体不是企业微信回调消息。",
    },
    "wecom.aes_key_invalid": {
        "en": "SIYU_WECOM_ENCODING_AES_KEY must be the 43-character EncodingAESKey.",
        "zh-CN": "SIYU_WECOM_ENCODING_AES_KEY 必须是 43 个字符的 EncodingAESKey。",
    },
    "wecom.decrypt_failed": {
        "en": "WeCom callback refused: it cannot be decrypted with this EncodingAESKey.",
        "zh-CN": "已拒绝企业微信回调：无法用当前 EncodingAESKey 解密。",
    },
    "wecom.receiver_mismatch": {
        "en": "WeCom callback refused: it was encrypted for another corp id.",
        "zh-CN": "已拒绝企业微信回调：消息属于其他企业 ID。",
    },
    "wecom.stale": {
        "en": "WeCom callback refused: its timestamp is {skew} s away from now (replay?).",
        "zh-CN": "已拒绝企业微信回调：时间戳与当前相差 {skew} 秒（疑似重放）。",
    },
    "wecom.replayed": {
        "en": "WeCom callback refused: this signed request was already received (replay).",
        "zh-CN": "已拒绝企业微信回调：该签名请求已收到过（重放）。",
    },
    "wecom.missing_params": {
        "en": "WeCom callback refused: missing query parameters {names}.",
        "zh-CN": "已拒绝企业微信回调：缺少参数 {names}。",
    },
    "wecom.not_configured": {
        "en": "WeCom is not configured: set {names}.",
        "zh-CN": "尚未配置企业微信：请设置 {names}。",
    },
    "wecom.api_error": {
        "en": "WeCom API {path} failed: errcode {errcode} ({errmsg}).",
        "zh-CN": "企业微信接口 {path} 调用失败：错误码 {errcode}（{errmsg}）。",
    },
    "wecom.rate_limited": {
        "en": "WeCom API {path} is rate-limited (errcode {errcode}); try again later.",
        "zh-CN": "企业微信接口 {path} 调用频率超限（错误码 {errcode}），请稍后再试。",
    },
    "wecom.unreachable": {
        "en": "Cannot reach the WeCom API at {url}: {reason}",
        "zh-CN": "无法连接企业微信接口 {url}：{reason}",
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
