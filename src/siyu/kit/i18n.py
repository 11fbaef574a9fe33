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
        "zh-CN": "触达策略无效：{detail}",
    },
    "segment.not_found": {
        "en": "No segment '{code}'. `siyu segment list` shows them.",
        "zh-CN": "没有分群“{code}”。可用 `siyu segment list` 查看。",
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
