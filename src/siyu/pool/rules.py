"""Pure rules for the private pool's files: columns and the words exports use."""

from __future__ import annotations

from siyu.imports.tabular import Column
from siyu.models.enums import Carrier, ChannelKind, LeftReason

CARRIER_WORDS: dict[str, str] = {c.value: c.value for c in Carrier} | {
    "企业微信": "wecom",
    "企微": "wecom",
    "群": "group",
    "社群": "group",
    "微信群": "group",
    "公众号": "official_account",
    "小程序": "mini_program",
}
LEFT_WORDS: dict[str, str] = {r.value: r.value for r in LeftReason} | {
    "客户删除": "deleted_by_customer",
    "被客户删除": "deleted_by_customer",
    "员工删除": "removed_by_staff",
    "移出": "removed_by_staff",
    "拉黑": "blocked",
    "退群": "left_group",
}
CHANNEL_KIND_WORDS: dict[str, str] = {k.value: k.value for k in ChannelKind} | {
    "包裹卡": "package_card",
    "短信": "sms",
    "客服": "customer_service",
    "门店": "store",
    "直播": "live_stream",
    "达人": "kol",
    "广告": "ads",
    "老带新": "referral",
    "其他": "other",
}

CONTACT_COLUMNS = (
    Column("external_userid", ("外部联系人ID", "external_user_id")),
    Column("unionid", ("UnionID", "union_id")),
    Column("phone", ("手机号", "手机", "电话", "mobile")),
    Column("name", ("客户名称", "姓名", "昵称")),
    Column("carrier", ("载体", "渠道载体"), required=True),
    Column("staff", ("员工", "添加人", "所属员工", "staff_code")),
    Column("group", ("群", "群名称", "群ID", "group_id")),
    Column("channel", ("渠道", "来源渠道", "渠道码", "channel_code")),
    Column("channel_kind", ("渠道类型",)),
    Column("joined_at", ("添加时间", "加入时间", "入群时间"), required=True),
    Column("left_at", ("删除时间", "离开时间", "退群时间")),
    Column("left_reason", ("删除原因", "离开原因")),
)

COST_COLUMNS = (
    Column("day", ("日期", "date"), required=True),
    Column("channel", ("渠道", "渠道码", "channel_code"), required=True),
    Column("amount", ("金额", "花费", "费用", "cost", "amount_yuan"), required=True),
    Column("channel_name", ("渠道名称",)),
    Column("channel_kind", ("渠道类型",)),
)
