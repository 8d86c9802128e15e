"""Every row of docs/bad_input.md: the message a user gets for that bad input, and never a traceback.

The cases live in ``bad_input_cases.py`` (which also writes the document).  On the command line each
must exit with code 2 and print no traceback; uploads and links must raise the project's own error
type (``DataError``/``DesignError``) with the message, which the pages show as it is.
"""


import pytest

from bad_input_cases import CASES, ROOT, make_files, run_case


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad-input")
    made = make_files(folder)
    (folder / "sub.keras").mkdir()      # a folder with a model's name
    return made


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_its_message(case, files):
    code, message = run_case(case, files)
    assert "Traceback" not in message
    assert case.expect in message, message
    if case.surface == "CLI":
        assert code == 2, (code, message)


def test_the_document_lists_every_case():
    doc = (ROOT / "docs" / "bad_input.md").read_text()
    missing = [c.what for c in CASES if f"| {c.surface} | {c.what} |" not in doc]
    assert not missing, f"docs/bad_input.md is out of date (python tests/bad_input_cases.py): {missing}"
    assert len(CASES) >= 60
