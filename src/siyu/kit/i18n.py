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
    "recommend.none": {
        "en": "Customer {customer} has no recommendations yet: run `siyu recommend` first "
        "(customers without a purchase get none).",
        "zh-CN": "客户 {customer} 还没有推荐商品：请先运行 `siyu recommend`"
        "（没有购买记录的客户不生成推荐）。",
    },
    "recommend.unknown_customer": {
        "en": "Customer {customer} does not exist in this workspace.",
        "zh-CN": "本工作区没有客户 {customer}。",
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
        "zh-CN": "映射文件 {file} 无效：{reason_zh}",
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
    "loyalty.amount_whole": {
        "en": "The amount of {what} must be a whole number: {value!r} is not. Nothing was posted.",
        "zh-CN": "数额必须是整数（{unit_zh}）：{value!r} 不是。未记账。",
    },
    "loyalty.amount_positive": {
        "en": "The amount of {what} must be greater than zero, not {value}. Nothing was posted.",
        "zh-CN": "数额必须大于零（{unit_zh}），而不是 {value}。未记账。",
    },
    "loyalty.amount_too_large": {
        "en": "The amount of {what} is too large: {value}. Nothing was posted.",
        "zh-CN": "数额过大（{unit_zh}）：{value}。未记账。",
    },
    "loyalty.key_invalid": {
        "en": "Every loyalty request needs an idempotency key of 1-128 printable characters.",
        "zh-CN": "每个会员请求都需要一个 1 至 128 个可打印字符的幂等键。",
    },
    "loyalty.key_missing": {
        "en": "Every loyalty write needs an Idempotency-Key header (1-128 printable characters): "
        "send the same key when you retry. Nothing was posted.",
        "zh-CN": "会员写操作必须带 Idempotency-Key 请求头（1 至 128 个可打印字符），"
        "重试时请发送同一个键。未记账。",
    },
    "loyalty.key_reused": {
        "en": "The idempotency key '{idem}' was already used for a different request "
        "(posting #{posting}). Nothing was posted.",
        "zh-CN": "幂等键“{idem}”已用于另一笔不同的请求（记账 #{posting}）。未记账。",
    },
    "loyalty.replayed": {
        "en": "Already posted under this key as posting #{posting} ({kind}); nothing changed.",
        "zh-CN": "该幂等键已记账（记账 #{posting}，{kind}），本次未做任何更改。",
    },
    "loyalty.insufficient_points": {
        "en": "Not enough points: {needed} needed, {available} available. Nothing was posted.",
        "zh-CN": "积分不足：需要 {needed}，可用 {available}。未记账。",
    },
    "loyalty.insufficient_balance": {
        "en": "Not enough stored value: {needed} fen needed, {available} fen available. "
        "Nothing was posted.",
        "zh-CN": "储值余额不足：需要 {needed} 分，可用 {available} 分。未记账。",
    },
    "loyalty.refund_too_large": {
        "en": "Cannot refund {amount} fen: at most {left} fen can be refunded. Nothing was posted.",
        "zh-CN": "无法退款 {amount} 分：最多可退 {left} 分。未记账。",
    },
    "loyalty.points_refund_too_large": {
        "en": "Cannot give back {points} points: at most {left} of this redemption can be "
        "refunded. Nothing was posted.",
        "zh-CN": "无法退回 {points} 积分：这笔兑换最多还可退回 {left} 积分。未记账。",
    },
    "loyalty.customer_unknown": {
        "en": "No customer #{ident} in this workspace. Nothing was posted.",
        "zh-CN": "本工作区没有客户 #{ident}。未记账。",
    },
    "loyalty.program_missing": {
        "en": "This workspace has no loyalty programme yet: run "
        "`siyu loyalty program apply FILE.yaml` first.",
        "zh-CN": "本工作区尚未设置会员方案，请先运行 `siyu loyalty program apply FILE.yaml`。",
    },
    "loyalty.program_invalid": {
        "en": "Programme file {file} is invalid: {reason}",
        "zh-CN": "会员方案文件 {file} 无效：{reason}",
    },
    "loyalty.action_unknown": {
        "en": "No active earn rule rewards the action '{action}'. Nothing was posted.",
        "zh-CN": "没有奖励“{action}”行为的有效积分规则。未记账。",
    },
    "loyalty.action_limit": {
        "en": "The action '{action}' already earned points {times} time(s), its limit. "
        "Nothing was posted.",
        "zh-CN": "“{action}”行为已获得 {times} 次积分，已达上限。未记账。",
    },
    "loyalty.order_unknown": {
        "en": "No order #{ident} in this workspace.",
        "zh-CN": "本工作区没有订单 #{ident}。",
    },
    "loyalty.order_not_earning": {
        "en": "Order #{ident} earns no points: it is unpaid, closed or has no buyer.",
        "zh-CN": "订单 #{ident} 不产生积分：未付款、已关闭或没有买家。",
    },
    "loyalty.order_not_earned": {
        "en": "Order #{ident} has earned no points, so there are none to take back.",
        "zh-CN": "订单 #{ident} 未获得积分，无可扣回的积分。",
    },
    "loyalty.nothing_to_reverse": {
        "en": "Order #{ident}: no points to take back for its refunds.",
        "zh-CN": "订单 #{ident}：其退款无需扣回积分。",
    },
    "loyalty.posting_unknown": {
        "en": "No {kind} posting under the key '{idem}'.",
        "zh-CN": "没有幂等键为“{idem}”的 {kind} 记账。",
    },
    "loyalty.plan_unknown": {
        "en": "No card plan '{code}' on sale. Nothing was posted.",
        "zh-CN": "没有在售的会员卡方案“{code}”。未记账。",
    },
    "loyalty.card_unknown": {
        "en": "No membership card #{ident} in this workspace.",
        "zh-CN": "本工作区没有会员卡 #{ident}。",
    },
    "loyalty.card_expired": {
        "en": "Membership card #{ident} has expired: it cannot be cancelled or refunded. "
        "Nothing was posted.",
        "zh-CN": "会员卡 #{ident} 已过期，不能取消或退款。未记账。",
    },
    "loyalty.card_cancelled": {
        "en": "Membership card #{ident} was already cancelled. Nothing was posted.",
        "zh-CN": "会员卡 #{ident} 已取消。未记账。",
    },
    "loyalty.audit_ok": {
        "en": "Ledger audit passed: {accounts} accounts, {postings} postings, {entries} lines; "
        "every balance equals the sum of its lines, every posting balances, no account "
        "has the wrong sign.",
        "zh-CN": "账本审计通过：{accounts} 个账户、{postings} 笔记账、{entries} 条分录；"
        "每个余额都等于其分录之和，每笔记账借贷平衡，没有符号错误的账户。",
    },
    "loyalty.audit_failed": {
        "en": "Ledger audit FAILED: {count} problem(s) found.",
        "zh-CN": "账本审计未通过：发现 {count} 个问题。",
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
    "key.unknown": {
        "en": "Data was encrypted with key {key_id}, which is not in the key ring: restore that "
        "key to the key file or SIYU_PII_KEY.",
        "zh-CN": "数据由密钥 {key_id} 加密，但密钥环中没有该密钥："
        "请把它恢复到密钥文件或 SIYU_PII_KEY。",
    },
    "key.tampered": {
        "en": "Encrypted data failed its integrity check (altered, or a different key with the "
        "same id).",
        "zh-CN": "加密数据未通过完整性校验（已被篡改，或同一编号下换了密钥）。",
    },
    "key.ring_full": {
        "en": "The key ring holds key ids up to 255: retire old keys (`siyu keys retire`) first.",
        "zh-CN": "密钥编号最多到 255：请先退役旧密钥（`siyu keys retire`）。",
    },
    "key.from_env": {
        "en": "The keys come from SIYU_PII_KEY: add the new key there as `<id>:<base64>` "
        "(keeping the old ones) in every process, then run `siyu keys rotate --keep-key`.",
        "zh-CN": "密钥来自 SIYU_PII_KEY：请在每个进程的 SIYU_PII_KEY 中加入新密钥"
        "（格式 `<编号>:<base64>`，保留旧密钥），再运行 `siyu keys rotate --keep-key`。",
    },
    "key.in_use": {
        "en": "Key {key_id} still encrypts {rows} values: finish `siyu keys rotate` first.",
        "zh-CN": "密钥 {key_id} 仍加密着 {rows} 个值：请先完成 `siyu keys rotate`。",
    },
    "consent.unknown_purpose": {
        "en": "Unknown consent purpose '{purpose}'; known: {known}.",
        "zh-CN": "未知的授权用途“{purpose}”；可用：{known}。",
    },
    "privacy.unknown_customer": {
        "en": "Customer {ident} does not exist in this workspace (or was erased).",
        "zh-CN": "本工作区没有客户 {ident}（或已被删除）。",
    },
    "privacy.erased": {
        "en": "Customer {ident} was erased: {rows} rows scrubbed, {files} snapshot files "
        "rewritten.",
        "zh-CN": "客户 {ident} 的个人数据已删除：清理 {rows} 行，重写 {files} 个快照文件。",
    },
    "privacy.purged": {
        "en": "Purged {rows} rows and {files} files past their retention.",
        "zh-CN": "已清除超过保存期限的 {rows} 行、{files} 个文件。",
    },
    "privacy.confirm": {
        "en": "Erasure cannot be undone: pass --yes to erase customer {ident}.",
        "zh-CN": "删除不可撤销：请加上 --yes 以删除客户 {ident}。",
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
    "channels.card_window": {
        "en": "Choose a window of orders from 1 to {days} days, the first day before the last.",
        "zh-CN": "请选择 1 至 {days} 天的订单时间段，开始日期不晚于结束日期。",
    },
    "channels.bad_cost": {
        "en": "The cost per joiner is an amount in yuan of 0 or more, to the fen, e.g. 0.40.",
        "zh-CN": "单个加粉成本须为不小于 0 的元金额，精确到分，例如 0.40。",
    },
    "channels.no_cards": {
        "en": "No paid or shipped orders in that window need a card.",
        "zh-CN": "该时间段内没有需要插卡的已付款或已发货订单。",
    },
    "error.conflict": {"en": "Conflict: {detail}", "zh-CN": "冲突：{detail}"},
    "channels.code_exists": {
        "en": "A live code '{code}' already exists: choose another code.",
        "zh-CN": "活码“{code}”已存在，请换一个编码。",
    },
    "referral.campaign_exists": {
        "en": "A referral campaign '{code}' already exists.",
        "zh-CN": "裂变活动“{code}”已存在。",
    },
    "referral.not_held": {
        "en": "Reward {ident} is {status}: only a held reward can be released or rejected.",
        "zh-CN": "奖励 {ident} 当前状态为 {status}：只有被拦截待审的奖励才能放行或驳回。",
    },
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
    "export.format": {
        "en": "Unknown export format '{format}': use csv or xlsx.",
        "zh-CN": "未知的导出格式“{format}”：请使用 csv 或 xlsx。",
    },
    "customer.not_found": {"en": "No customer #{ident} here.", "zh-CN": "没有客户 #{ident}。"},
    "user.not_found": {"en": "No user #{ident} here.", "zh-CN": "没有用户 #{ident}。"},
    "api_key.not_found": {"en": "No API key #{ident} here.", "zh-CN": "没有 API 密钥 #{ident}。"},
    "job.not_found": {"en": "No job {ident} here.", "zh-CN": "没有任务 {ident}。"},
    "batch.not_found": {"en": "No import #{ident} here.", "zh-CN": "没有导入记录 #{ident}。"},
    "figures.not_computed": {
        "en": "No {grain} figures are computed yet: start a figures job (POST /api/v1/figures/"
        "jobs, the console's “Compute the figures”, or `siyu report`).",
        "zh-CN": "尚未计算{grain}指标：请启动指标计算（POST /api/v1/figures/jobs、控制台的"
        "“计算指标”或 `siyu report`）。",
    },
    "figures.ladder_not_computed": {
        "en": "No ladder migration between two chosen dates is computed yet.",
        "zh-CN": "尚未计算两个日期之间的阶梯迁移。",
    },
    "figures.ladder_dates": {
        "en": "The first date ({start}) must come before the second ({end}).",
        "zh-CN": "第一个日期（{start}）必须早于第二个日期（{end}）。",
    },
    "figures.table_not_found": {
        "en": "No figures table '{ident}'.",
        "zh-CN": "没有指标表“{ident}”。",
    },
    "import.preset_web": {
        "en": "Unknown preset '{name}'. Known presets: {known}.",
        "zh-CN": "未知的预设“{name}”。可用预设：{known}。",
    },
    "segment.rule_invalid": {"en": "Invalid segment rule.", "zh-CN": "分群规则无效。"},
    "segment.rule_shape": {
        "en": 'Segment rule at {path}: expected {{"field", "op", "value"}} or one of '
        '"all", "any", "not".',
        "zh-CN": '分群规则 {path} 处：应为 {{"field", "op", "value"}} 或 "all"、"any"、'
        '"not" 之一。',
    },
    "segment.rule_empty_group": {
        "en": "Segment rule at {path}: '{group}' needs a non-empty list of rules.",
        "zh-CN": "分群规则 {path} 处：“{group}”需要一个非空的规则列表。",
    },
    "segment.rule_too_deep": {
        "en": "Segment rule at {path}: nested more than {limit} levels.",
        "zh-CN": "分群规则 {path} 处：嵌套超过 {limit} 层。",
    },
    "segment.rule_too_big": {
        "en": "Segment rule at {path}: more than {limit} conditions.",
        "zh-CN": "分群规则 {path} 处：条件超过 {limit} 个。",
    },
    "segment.rule_unknown_field": {
        "en": "Segment rule at {path}: unknown field '{field}'. Try: {choices}.",
        "zh-CN": "分群规则 {path} 处：未知字段“{field}”。可选：{choices}。",
    },
    "segment.rule_bad_op": {
        "en": "Segment rule at {path}: '{op}' does not apply to {field}; use one of {ops}.",
        "zh-CN": "分群规则 {path} 处：“{op}”不适用于 {field}，可用：{ops}。",
    },
    "segment.rule_no_value": {
        "en": "Segment rule at {path}: '{op}' takes no value.",
        "zh-CN": "分群规则 {path} 处：“{op}”不需要值。",
    },
    "segment.rule_missing_value": {
        "en": "Segment rule at {path}: '{op}' needs a value.",
        "zh-CN": "分群规则 {path} 处：“{op}”需要一个值。",
    },
    "segment.rule_bad_value": {
        "en": "Segment rule at {path}: {field} needs {expected_en}, not {value}.",
        "zh-CN": "分群规则 {path} 处：{field} 需要{expected_zh}，而不是 {value}。",
    },
    "segment.rule_unknown_value": {
        "en": "Segment rule at {path}: {field} has no value '{value}'. Try: {choices}.",
        "zh-CN": "分群规则 {path} 处：{field} 没有取值“{value}”。可选：{choices}。",
    },
    "segment.rule_syntax": {
        "en": "Segment rule, character {pos}: expected {expected_en}, found {found_en}.",
        "zh-CN": "分群规则第 {pos} 个字符处：应为{expected_zh}，实际为{found_zh}。",
    },
    "segment.rule_json": {
        "en": "Segment rule is not valid JSON at character {pos}: {detail}.",
        "zh-CN": "分群规则在第 {pos} 个字符处不是有效的 JSON：{detail}。",
    },
    "segment.exists": {
        "en": "A segment '{code}' already exists.",
        "zh-CN": "分群“{code}”已存在。",
    },
    "consent.unknown_channel": {
        "en": "Unknown consent channel '{channel}'; use one of {known}.",
        "zh-CN": "未知的授权渠道“{channel}”，可用：{known}。",
    },
    "worker.wecom_adapter": {
        "en": "Cannot load the WeCom adapter '{name}' (SIYU_WECOM_ADAPTER): {reason}",
        "zh-CN": "无法加载企业微信适配器“{name}”（SIYU_WECOM_ADAPTER）：{reason}",
    },
    "campaign.exists": {
        "en": "A campaign '{code}' already exists.",
        "zh-CN": "活动“{code}”已存在。",
    },
    "campaign.not_found": {
        "en": "No campaign '{code}'. `siyu campaign list` shows them.",
        "zh-CN": "没有活动“{code}”。可用 `siyu campaign list` 查看。",
    },
    "campaign.variant_codes": {
        "en": "Each variant needs its own code, not: {codes}.",
        "zh-CN": "每个版本需要不同的代码，而不是：{codes}。",
    },
    "campaign.unknown_variables": {
        "en": "Variant {variant} uses variables siyu cannot fill: {names}.",
        "zh-CN": "版本 {variant} 使用了无法填充的变量：{names}。",
    },
    "campaign.not_draft": {
        "en": "Campaign '{code}' is {status}: only a draft (or an interrupted launch) can be "
        "launched.",
        "zh-CN": "活动“{code}”状态为 {status}：只有草稿（或中断的发布）可以发布。",
    },
    "campaign.not_launched": {
        "en": "Campaign '{code}' has not been launched: there are no results yet.",
        "zh-CN": "活动“{code}”尚未发布，还没有结果。",
    },
    "campaign.not_pausable": {
        "en": "Campaign '{code}' is {status}: only a launched campaign can be paused.",
        "zh-CN": "活动“{code}”状态为 {status}：只有已发布的活动可以暂停。",
    },
    "campaign.not_paused": {
        "en": "Campaign '{code}' is {status}, not paused: there is nothing to resume.",
        "zh-CN": "活动“{code}”状态为 {status}，并未暂停，无需恢复。",
    },
    "content.template_unknown": {
        "en": "No template '{code}' in the library. `siyu content list` shows them.",
        "zh-CN": "素材库中没有模板“{code}”。可用 `siyu content list` 查看。",
    },
    "content.banned_words": {
        "en": "The text holds banned words ({found}); change it before it can be scheduled. "
        "`siyu content banned` lists the words.",
        "zh-CN": "文案含有违禁词（{found}），修改后才能排期。"
        "可用 `siyu content banned` 查看违禁词。",
    },
    "task.staff_unknown": {
        "en": "No staff account '{code}'.",
        "zh-CN": "没有员工账号“{code}”。",
    },
    "task.not_found": {
        "en": "No task #{ident}.",
        "zh-CN": "没有任务 #{ident}。",
    },
    "task.not_open": {
        "en": "Task #{ident} is {status}: only an open task can be changed.",
        "zh-CN": "任务 #{ident} 状态为 {status}：只有未完成的任务可以修改。",
    },
    "task.skip_reason": {
        "en": "Say why the task is skipped.",
        "zh-CN": "请说明跳过任务的原因。",
    },
    "task.staff_full": {
        "en": "Staff account '{code}' already has {capacity} tasks that day.",
        "zh-CN": "员工账号“{code}”当天已有 {capacity} 个任务。",
    },
    "sop.unknown_templates": {
        "en": "The plan uses templates the library does not have: {codes}.",
        "zh-CN": "该计划使用了内容库中没有的模板：{codes}。",
    },
    "sop.personal_in_group": {
        "en": "Group and Moments posts cannot use {{name}} (templates {codes}).",
        "zh-CN": "社群和朋友圈内容不能使用 {{name}}（模板 {codes}）。",
    },
    "sop.unknown_staff": {
        "en": "No staff accounts: {codes}.",
        "zh-CN": "没有这些员工账号：{codes}。",
    },
    "policy.unknown_zone": {
        "en": "Unknown time zone '{zone}' (use an IANA name such as Asia/Shanghai).",
        "zh-CN": "未知时区“{zone}”（请使用 IANA 名称，如 Asia/Shanghai）。",
    },
    "policy.invalid": {
        "en": "The contact policy is invalid: {detail}",
        "zh-CN": "触达策略无效：{detail_zh}",
    },
    "segment.not_found": {
        "en": "No segment '{code}'. `siyu segment list` shows them.",
        "zh-CN": "没有分群“{code}”。可用 `siyu segment list` 查看。",
    },
    "audit.ok": {
        "en": "Audit log intact: {checked} entries checked, the newest is #{last}.",
        "zh-CN": "审计日志完整：已校验 {checked} 条，最新一条为 #{last}。",
    },
    "audit.broken_hash": {
        "en": "Audit log BROKEN at entry #{id}: its content no longer matches its hash "
        "(the entry was changed).",
        "zh-CN": "审计日志已被破坏，位置 #{id}：该条内容与其哈希不符（记录被修改）。",
    },
    "audit.broken_link": {
        "en": "Audit log BROKEN at entry #{id}: it does not link to the entry before it "
        "(entries were reordered or replaced).",
        "zh-CN": "审计日志已被破坏，位置 #{id}：该条与前一条的链接不符（记录被调换或替换）。",
    },
    "audit.gap": {
        "en": "Audit log BROKEN at entry #{id}: the entry is missing (deleted).",
        "zh-CN": "审计日志已被破坏，位置 #{id}：该条缺失（记录被删除）。",
    },
    "audit.truncated": {
        "en": "Audit log BROKEN at entry #{id}: the chain head records entries the log no "
        "longer holds (the newest entries were deleted).",
        "zh-CN": "审计日志已被破坏，位置 #{id}：链头记录的条目在日志中已不存在"
        "（最新的记录被删除）。",
    },
    "audit.bad_target": {
        "en": "A target is TYPE or TYPE:ID, e.g. customer:12 (got '{text}').",
        "zh-CN": "对象的格式为 类型 或 类型:编号，例如 customer:12（收到“{text}”）。",
    },
    "audit.bad_action": {
        "en": "Unknown action '{action}'. Known actions: {known}.",
        "zh-CN": "未知的操作“{action}”。可用操作：{known}。",
    },
    "auth.locked": {
        "en": "This account is locked after {failures} failed log-ins; try again in {minutes} "
        "minutes or ask an admin to set a new password.",
        "zh-CN": "该账号连续 {failures} 次登录失败，已被锁定；请 {minutes} 分钟后再试，"
        "或请管理员重设密码。",
    },
    "rate.limited": {
        "en": "Too many requests; try again in {seconds} seconds.",
        "zh-CN": "请求过于频繁，请 {seconds} 秒后再试。",
    },
    "pii.field_unknown": {
        "en": "Nothing to show for '{field}': ask for name, address or identity (with its id).",
        "zh-CN": "无法显示“{field}”：可显示 name（姓名）、address（地址）"
        "或 identity（需给出编号）。",
    },
    "pii.missing": {
        "en": "Customer {customer} has no {field} on record.",
        "zh-CN": "客户 {customer} 没有记录{field}。",
    },
    "upload.too_large": {
        "en": "The file is larger than {megabytes} MB; split it or raise SIYU_UPLOAD_MAX_MB.",
        "zh-CN": "文件超过 {megabytes} MB；请拆分文件或调高 SIYU_UPLOAD_MAX_MB。",
    },
    "upload.wrong_type": {
        "en": "{file} is not a CSV or XLSX file ({reason}). Nothing was imported.",
        "zh-CN": "{file} 不是 CSV 或 XLSX 文件（{reason}）。未导入任何数据。",
    },
    "upload.zip_bomb": {
        "en": "{file} would expand to more than {megabytes} MB (or {ratio}x its size); "
        "it was refused before opening. Nothing was imported.",
        "zh-CN": "{file} 解压后将超过 {megabytes} MB（或超过自身大小的 {ratio} 倍），"
        "已在打开前拒绝。未导入任何数据。",
    },
    "settings.production_secret": {
        "en": "Refusing to start with SIYU_ENVIRONMENT=production: {setting} {problem}.",
        "zh-CN": "SIYU_ENVIRONMENT=production 时拒绝启动：{setting} {problem_zh}。",
    },
    "input.fields": {
        "en": "Some fields are not valid: {detail}",
        "zh-CN": "部分字段无效：{detail_zh}",
    },
    "input.date": {
        "en": "Not a date (YYYY-MM-DD): '{text}'.",
        "zh-CN": "不是日期（YYYY-MM-DD）：“{text}”。",
    },
    "input.moment": {
        "en": "Not a date or time: '{text}' (e.g. 2026-06-20 or 2026-06-20 10:00; China time "
        "unless it says otherwise).",
        "zh-CN": "不是日期或时间：“{text}”（例如 2026-06-20 或 2026-06-20 10:00；"
        "未注明时区即为北京时间）。",
    },
    "input.zone_required": {
        "en": "Times must carry a time zone.",
        "zh-CN": "时间必须带时区。",
    },
    "input.ends_first": {
        "en": "It ends before it starts: the end must come after the start.",
        "zh-CN": "结束时间早于开始时间：结束时间必须晚于开始时间。",
    },
    "input.choice": {
        "en": "{option} '{value}' is not one of: {choices}.",
        "zh-CN": "{option}“{value}”无效，可选：{choices}。",
    },
    "input.money": {
        "en": "Not an amount in yuan: '{text}' (0 or more, to the fen, e.g. 12.50).",
        "zh-CN": "不是有效的元金额：“{text}”（不小于 0，精确到分，例如 12.50）。",
    },
    "input.file": {
        "en": "Cannot use {file}: {reason}",
        "zh-CN": "无法使用 {file}：{reason}",
    },
    "input.image_suffix": {
        "en": "--out must end in .png or .svg.",
        "zh-CN": "--out 须以 .png 或 .svg 结尾。",
    },
    "workspace.slug_invalid": {
        "en": "Workspace slug '{slug}': use a-z, 0-9, - and _ (1 to 64 characters).",
        "zh-CN": "工作区标识“{slug}”无效：只能使用 a-z、0-9、- 和 _（1 至 64 个字符）。",
    },
    "channels.referral_prefix": {
        "en": "Live codes cannot start with '{prefix}': that prefix belongs to referral codes.",
        "zh-CN": "活码编码不能以“{prefix}”开头：该前缀留给裂变推荐码。",
    },
    "channels.no_active_staff": {
        "en": "Live code '{code}' has no active staff account to take the customer.",
        "zh-CN": "活码“{code}”没有在岗的员工账号可以承接客户。",
    },
    "staff.code_invalid": {
        "en": "A staff code is 1 to 64 characters (the WeCom userid).",
        "zh-CN": "员工编码为 1 至 64 个字符（企业微信 userid）。",
    },
    "staff.shifts_invalid": {
        "en": "Working hours not understood: '{text}'. Write them like "
        "'1-5 09:00-18:00; 6 10:00-16:00' (1 = Monday), or leave them empty for always.",
        "zh-CN": "无法识别工作时间：“{text}”。格式如 “1-5 09:00-18:00; 6 10:00-16:00”"
        "（1 = 周一），留空表示全天。",
    },
    "staff.limit_negative": {
        "en": "The daily add limit cannot be negative.",
        "zh-CN": "每日添加上限不能为负数。",
    },
    "loyalty.tier_rank_shared": {
        "en": "Two tiers share a rank: give each tier its own rank.",
        "zh-CN": "有两个等级的排位相同：请为每个等级设置不同的排位。",
    },
    "webhook.delivery_id": {
        "en": "{header} must be 8 to 64 printable characters.",
        "zh-CN": "{header} 须为 8 至 64 个可打印字符。",
    },
    "referral.no_staff": {
        "en": "No active WeCom staff account takes referred customers: add or activate one.",
        "zh-CN": "没有在岗的企业微信员工账号承接被推荐的客户：请添加或启用一个。",
    },
    "user.name_invalid": {
        "en": "A user name is 1 to 64 characters.",
        "zh-CN": "用户名为 1 至 64 个字符。",
    },
    "scope.none": {
        "en": "An API key needs at least one scope.",
        "zh-CN": "API 密钥至少需要一个权限范围。",
    },
    "console.plotly_missing": {
        "en": "The charts cannot be served: the plotly package is not installed.",
        "zh-CN": "无法提供图表：未安装 plotly 包。",
    },
    "staff.not_found": {
        "en": "Staff account not found: {ident}. Add it with `siyu channel staff add`.",
        "zh-CN": "未找到员工账号：{ident}。可用 `siyu channel staff add` 添加。",
    },
    "staff.not_in_code": {
        "en": "Staff account {ident} is not in this live code's pool.",
        "zh-CN": "员工账号 {ident} 不在该活码的接待池中。",
    },
    "channels.code_not_found": {
        "en": "Live code not found: '{ident}'.",
        "zh-CN": "未找到活码“{ident}”。",
    },
    "referral.campaign_not_found": {
        "en": "Referral campaign not found: '{ident}'.",
        "zh-CN": "未找到裂变活动“{ident}”。",
    },
    "referral.code_not_found": {
        "en": "Referral code not found: '{ident}'.",
        "zh-CN": "未找到推荐码“{ident}”。",
    },
    "referral.reward_not_found": {
        "en": "Referral reward not found: #{ident}.",
        "zh-CN": "未找到推荐奖励 #{ident}。",
    },
    "group.not_found": {
        "en": "Group not found: {ident}.",
        "zh-CN": "未找到群：{ident}。",
    },
    "wecom.callback_no_contact": {
        "en": "A WeCom contact callback came without an external contact id.",
        "zh-CN": "企业微信客户回调缺少外部联系人 ID。",
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
