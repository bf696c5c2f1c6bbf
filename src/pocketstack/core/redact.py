"""Secrets out of log lines: oslo.utils' mask_password, applied to every formatted record (message
and traceback), so a value the code never meant to log (an exception quoting a request body or SQL
parameters) is masked as well."""

from __future__ import annotations

import logging
import re

MASK = "***"
# the key names oslo.utils strutils._SANITIZE_KEYS masks, plus the token headers and Swift's keys
_KEYS = (r"adminPass|admin_pass|admin_password|password|new_pass|original_password|secret|auth_token|"
         r"token|auth_password|secret_uuid|secret_key|sys_pswd|encryption_key|connection|blob|"
         r"x-auth-token|x-subject-token|x-service-token|temp-url-key(?:-2)?|temp_url_key|auth_key|private_key")
_PATTERNS = [
    re.compile(rf"""(?i)(['"]?(?:{_KEYS})['"]?\s*[:=]\s*['"])[^'"]*(['"])"""),   # 'password': 'x', "k"="x"
    re.compile(rf"""(?i)(\b(?:{_KEYS})\s*[:=]\s*)(?!['"])[^\s,;&'"}})\]]+()"""),        # password=x, X-Auth-Token: x
]


def mask(text: str) -> str:
    if not any(word in text.lower() for word in ("pass", "secret", "token", "key", "blob", "connection")):
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(rf"\g<1>{MASK}\g<2>", text)
    return text


class MaskingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return mask(super().format(record))
