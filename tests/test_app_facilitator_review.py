"""What a facilitator is shown before and after she acts (AppTest, signed in, on a real
SQLite file): the bulk import's plan promises only the saves the storage will allow, the
Start page offers only what she may do and keeps a program's details, a study she may not
change says so, and the Cohorts page says which stored round it left out.

Bridge (p01) is in the 2025 cohort, which Fay facilitates; Valley (p02) is in 2026.
"""

from __future__ import annotations

from selfstudy.edges.workbooks import xlsx_bytes
from tests.test_app_bulk_import import ZIP, click, packed, table, upload
from tests.test_app_facilitator_import import (
    FAY,
    IMPORT_PAGE,
    network,  # noqa: F401 (a fixture)
    signed_in,
)


def test_the_plan_counts_only_the_copies_the_storage_will_save(
    network,  # noqa: F811 (the fixture)
    sample_set,
    default_rubric,
):
    valley = sample_set[3].model_copy(  # Valley's follow-up, naming no cohort: hers is set
        update={"program": sample_set[3].program.model_copy(update={"cohort": None})}
    )
    archive = packed(
        ("bridge-baseline.xlsx", xlsx_bytes(sample_set[0], default_rubric)),
        ("bridge-follow-up.xlsx", xlsx_bytes(sample_set[1], default_rubric)),
        ("valley-follow-up.xlsx", xlsx_bytes(valley, default_rubric)),
    )
    at = upload(signed_in(FAY, IMPORT_PAGE), ("three.zip", archive, ZIP))
    assert not at.exception, at.exception
    radio = at.radio(key="bulk_on_stored")
    assert radio.label == "1 copy is of a program and round already stored"
    plan = table(at).set_index("Copy")["When you save"]
    assert plan["three.zip: valley-follow-up.xlsx"] == (
        "not saved: its program is not in your cohorts (a network admin can put it in one, "
        "or a member of the program can import it)"
    )
    assert plan["three.zip: bridge-follow-up.xlsx"] == "saved as a new self-study"
    assert "Read 3 copies: 1 can be saved, 2 will not be" in at.info[0].value
    assert [b.label for b in at.button if b.label.startswith("Save")] == ["Save 1 copy"]
    at.radio(key="bulk_on_stored").set_value("keep-both").run()
    assert "Read 3 copies: 2 can be saved, 1 will not be" in at.info[0].value
    at = click(at, "Save 2 copies")
    assert not at.exception, at.exception
    assert "Imported 3 copies: 2 saved, 1 not saved." in at.warning[0].value
    happened = table(at).set_index("Copy")["What happened"]
    assert happened["three.zip: valley-follow-up.xlsx"] == plan["three.zip: valley-follow-up.xlsx"]
    rounds = sorted(s.round for s in network.list_studies() if s.name == sample_set[0].program.name)
    assert rounds == ["baseline", "baseline", "follow-up"]
    assert [s.round for s in network.list_studies() if s.name == sample_set[2].program.name] == [
        "baseline"
    ]
