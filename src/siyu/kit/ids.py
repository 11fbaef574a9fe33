"""Row ids: integers from 1 up to the largest a JSON number holds exactly in any client.

The columns are 64-bit, but 2**63 - 1 is no float, and JSON tools (JavaScript, the fuzzer
checking the API document) round it up past the limit; 2**53 - 1 is exact everywhere and
still far above any row count. A larger number sent in is invalid input, not a crash.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MAX_ROW_ID = 2**53 - 1
RecordId = Annotated[int, Field(ge=1, le=MAX_ROW_ID)]
"""A row id in a request body."""
