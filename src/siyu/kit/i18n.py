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
    "error.conflict": {"en": "Conflict: {detail}", "zh-CN": "冲突：{detail}"},
    "error.internal": {
        "en": "Something went wrong on our side; it was logged.",
        "zh-CN": "服务器内部出错，已记录。",
    },
    "request.invalid": {
        "en": "The request is not valid: {detail}",
        "zh-CN": "请求无效：{detail}",
    },
    "http.not_found": {"en": "There is nothing at {path}.", "zh-CN": "{path} 不存在。"},
    "http.method": {
        "en": "{method} is not allowed on {path}.",
        "zh-CN": "{path} 不支持 {method} 请求。",
    },
    "http.error": {"en": "HTTP error {status}.", "zh-CN": "HTTP 错误 {status}。"},
    "auth.required": {
        "en": "Log in, or send an API key (Authorization: Bearer …).",
        "zh-CN": "请先登录，或提供 API 密钥（Authorization: Bearer …）。",
    },
    "auth.bad_login": {
        "en": "Wrong user name or password.",
        "zh-CN": "用户名或密码错误。",
    },
    "auth.throttled": {
        "en": "Too many failed log-ins for this user; try again in {minutes} minutes.",
        "zh-CN": "该用户登录失败次数过多，请 {minutes} 分钟后再试。",
    },
    "auth.forbidden": {
        "en": "Your role ({role}) may not do this ({permission}).",
        "zh-CN": "您的角色（{role}）无权执行此操作（{permission}）。",
    },
    "auth.scope": {
        "en": "This API key lacks the scope {permission}.",
        "zh-CN": "此 API 密钥缺少权限范围 {permission}。",
    },
    "auth.csrf": {
        "en": "The form expired or came from another site; reload the page and try again.",
        "zh-CN": "表单已过期或来自其他网站，请刷新页面后重试。",
    },
    "user.exists": {
        "en": "The user name '{username}' is taken.",
        "zh-CN": "用户名“{username}”已被使用。",
    },
    "user.password_short": {
        "en": "A password needs at least {length} characters.",
        "zh-CN": "密码至少需要 {length} 个字符。",
    },
    "user.last_admin": {
        "en": "The last active admin cannot be removed or demoted.",
        "zh-CN": "不能停用或降级最后一位管理员。",
    },
    "user.staff_unknown": {
        "en": "No staff account with code '{code}'.",
        "zh-CN": "没有编码为“{code}”的员工账号。",
    },
    "scope.unknown": {
        "en": "Unknown scope '{scope}'. Known scopes: {known}.",
        "zh-CN": "未知的权限范围“{scope}”。可用范围：{known}。",
    },
    "webhook.unsigned": {
        "en": "A webhook needs the headers {headers}.",
        "zh-CN": "Webhook 请求需要以下请求头：{headers}。",
    },
    "webhook.signature": {
        "en": "The webhook signature does not match the body.",
        "zh-CN": "Webhook 签名与请求内容不符。",
    },
    "webhook.stale": {
        "en": "The webhook timestamp is more than {seconds} seconds from now.",
        "zh-CN": "Webhook 时间戳与当前时间相差超过 {seconds} 秒。",
    },
    "webhook.replayed": {
        "en": "Delivery {delivery} was already received.",
        "zh-CN": "投递 {delivery} 已经收到过。",
    },
    "webhook.order_invalid": {
        "en": "The order event cannot be used: {reason}",
        "zh-CN": "订单事件无法使用：{reason}",
    },
    "import.kind_unknown": {
        "en": "Unknown import kind '{kind}': use orders, products, contacts or costs.",
        "zh-CN": "未知的导入类型“{kind}”：请使用 orders、products、contacts 或 costs。",
    },
    "import.too_large": {
        "en": "The file is larger than {megabytes} MB.",
        "zh-CN": "文件超过 {megabytes} MB。",
    },
    "export.format": {
        "en": "Unknown export format '{format}': use csv or xlsx.",
        "zh-CN": "未知的导出格式“{format}”：请使用 csv 或 xlsx。",
    },
    "customer.not_found": {"en": "No customer #{ident} here.", "zh-CN": "没有客户 #{ident}。"},
    "user.not_found": {"en": "No user #{ident} here.", "zh-CN": "没有用户 #{ident}。"},
    "api_key.not_found": {"en": "No API key #{ident} here.", "zh-CN": "没有 API 密钥 #{ident}。"},
    "job.not_found": {"en": "No job {ident} here.", "zh-CN": "没有任务 {ident}。"},
    "batch.not_found": {"en": "No import #{ident} here.", "zh-CN": "没有导入记录 #{ident}。"},
    "import.preset_web": {
        "en": "Unknown preset '{name}'. Known presets: {known}.",
        "zh-CN": "未知的预设“{name}”。可用预设：{known}。",
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
