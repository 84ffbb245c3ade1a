import pytest
from episodes.tests.test_export import *
from episodes.export import build_export, episodes_to_export, episode_data, episode_front_matter, file_text
from episodes.parsing import parse_episode
@pytest.mark.django_db
def test_dbg(tmp_path):
    archive = tmp_path / "archive"; (archive / "_podcast").mkdir(parents=True)
    (archive / "_podcast" / "odd.md").write_text(ODD_EPISODE)
    run_import(archive / "_podcast")
    e = list(episodes_to_export())[0]
    d = episode_data(e)
    fm = episode_front_matter(e, d)
    t = file_text(fm, d.show_notes)
    print(t[:1500])
    p = parse_episode(t, "odd-file.md")
    print(p.extra, d.extra)
    assert 0
