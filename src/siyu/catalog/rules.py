"""Pure rules for the product catalogue."""

from __future__ import annotations

from siyu.imports.tabular import Column
from siyu.models.enums import ProductRole

ROLE_WORDS: dict[str, str] = {role.value: role.value for role in ProductRole} | {
    "drainage": "traffic",
    "引流": "traffic",
    "引流款": "traffic",
    "体验": "trial",
    "体验装": "trial",
    "试用": "trial",
    "利润": "profit",
    "利润款": "profit",
    "品牌": "brand",
    "形象款": "brand",
    "扩展": "expansion",
    "拓展": "expansion",
    "营销": "marketing",
    "活动款": "marketing",
}

PRODUCT_COLUMNS = (
    Column("sku", ("商家编码", "货号", "SKU", "编码"), required=True),
    Column("name", ("商品名称", "名称", "商品", "product_name"), required=True),
    Column("role", ("角色", "商品角色", "product_role")),
    Column("price", ("价格", "售价", "price_yuan")),
    Column("unit_cost", ("成本", "单位成本", "cost")),
)
