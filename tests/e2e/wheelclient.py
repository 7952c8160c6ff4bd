"""The chapter's wheelclient.py, ported line by line to Python 3 (urllib2 -> urllib.request).

The only change beyond the port: the URL is a module constant a caller may
replace, since the service now listens wherever it is told (36000 by default;
the chapter's example used 8008).
"""

import json
import sys
import urllib.request
from typing import Any

URL = "http://localhost:36000/json/"


def get_a_spin() -> Any:
    result = urllib.request.urlopen(URL)
    assert result.code == 200
    assert result.msg == "OK"
    # print(result.headers) # to see information about the service
    data = result.read()
    result.close()
    return json.loads(data)


if __name__ == "__main__":
    if len(sys.argv) > 1:
        URL = sys.argv[1]
    spin = get_a_spin()
    print(spin)
