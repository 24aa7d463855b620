"""`viewfinder openapi --output FILE`, run for real: the document the web app's types come from."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

VIEWFINDER = Path(sys.executable).parent / "viewfinder"


def test_openapi_writes_the_api_document_to_a_file(tmp_path):
    output = tmp_path / "openapi.json"
    # A bare environment: the command needs no settings, data folder or database.
    env = {name: value for name, value in os.environ.items() if not name.startswith("VIEWFINDER_")}

    result = subprocess.run(
        [str(VIEWFINDER), "openapi", "--output", str(output)],
        env=env,
        cwd=tmp_path,  # the job queue module opens var/jobs.db under the working folder on import
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    document = json.loads(output.read_text())
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"] == "Viewfinder"
    paths = document["paths"]
    assert "post" in paths["/api/viewfinder/v1/reports"]
    assert "delete" in paths["/api/viewfinder/v1/media/{media_id}"]
    assert "/api/viewfinder/v1/accounts/signup" in paths
    # The web app's catch-all and the media delivery route stay out of the document.
    assert all(path.startswith("/api/viewfinder/v1/") for path in paths)
    assert set(document["components"]["schemas"]["ReportCreate"]["required"]) == {
        "target",
        "target_id",
        "reason",
    }
