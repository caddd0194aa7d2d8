"""requests, as docker-py uses it here: without a charset guesser.

requests imports charset_normalizer (about 2.5 MiB resident) to guess the
encoding of a text body that names none. The Engine API answers JSON and
UTF-8 text, and without a guesser requests decodes such a body as UTF-8 (its
documented fallback), so the daemon loads requests without it. Imported by
`coordinator.docker` before docker-py; a process that loaded requests (or
charset_normalizer) earlier keeps them as they are.
"""

from __future__ import annotations

import sys
import warnings

if "requests" not in sys.modules:
    if "charset_normalizer" not in sys.modules:
        # None in sys.modules is how Python says "not installed" to an import.
        sys.modules["charset_normalizer"] = None  # type: ignore[assignment]
    with warnings.catch_warnings():
        # Its one-time RequestsDependencyWarning says what is meant here.
        warnings.filterwarnings("ignore", "Unable to find acceptable character detection")
        import requests  # noqa: F401
