"""Reading users files: plain lists taken literally, CSV only behind a header that names the column."""

import pytest

from dbx_inventory.core.errors import InputError
from dbx_inventory.people.users_file import InputUser, dedupe, parse_users_text


def names(text, column=None):
    return [u.name for u in parse_users_text(text, "users.csv", column)]


def test_plain_lines_with_comments_blanks_bom_and_crlf():
    assert names("\ufeffa@x.com\r\n# comment\r\n\r\n  b@x.com  \r\n") == ["a@x.com", "b@x.com"]


def test_csv_with_header_takes_the_username_column():
    text = "displayName,userName,active\nAnn,ann@x.com,true\n\"Smith, Bob\",bob@x.com,false\n"
    assert names(text) == ["ann@x.com", "bob@x.com"]
    assert names("email\nc@x.com\n") == ["c@x.com"]


@pytest.mark.parametrize("header,column", [
    ("login,team", 0), ("mail", 0), ("Email Address,Team", 0), ("User Name,Full Name", 0),
    ("Email Address,Name", 0), ("team,applicationId", 1), ("Full Name,user_name", 1),
])
def test_known_columns_by_any_spelling_and_never_a_display_name(header, column):
    row = ["Eve Example", "eve@x.com"] if column else ["eve@x.com", "Eve Example"]
    assert names(f"{header}\n{','.join(row)}\n") == ["eve@x.com"]


@pytest.mark.parametrize("header", ["team,full name", "Name,Team"])
def test_an_unknown_header_is_an_input_error_listing_the_columns(header):
    with pytest.raises(InputError) as info:
        names(f"{header}\neve@x.com,ops\n")
    assert "--users-column" in str(info.value) and repr(header.split(",")[0]) in str(info.value)


def test_users_column_names_the_column():
    assert names("team,handle\nops,eve@x.com\n", column="handle") == ["eve@x.com"]
    with pytest.raises(InputError, match="no column 'nick'"):
        names("team,handle\nops,eve@x.com\n", column="nick")


def test_a_plain_list_is_taken_literally_and_never_merged_as_csv():
    text = "a@x.com\nSmith, John\nb\"c@x.com\n" + "".join(f"u{i}@x.com\n" for i in range(54))
    got = names(text)
    assert got[:3] == ["a@x.com", "Smith, John", 'b"c@x.com'] and len(got) == 57


@pytest.mark.parametrize("bad", ["x" * 513, "a\x07b@x.com"])
def test_a_line_that_cannot_be_a_name_is_an_error_with_its_line_number(bad):
    with pytest.raises(InputError, match="line 3"):
        names(f"a@x.com\n# c\n{bad}\n")


def test_owner_status_and_display_name_are_carried_from_an_exported_csv():
    text = "userName,displayName,active,id,owner_status\nann@x.com,Ann,false,1,inactive\n"
    assert parse_users_text(text) == [InputUser("ann@x.com", "inactive", "Ann")]


def test_dedupe_drops_exact_duplicates_only():
    # Names that differ in case may be two folders: only their resolution can tell (scan/identities.py).
    users = [InputUser(n) for n in ("A@x.com", "b@x.com", "a@X.com", "A@x.com", "b@x.com")]
    assert [u.name for u in dedupe(users)] == ["A@x.com", "b@x.com", "a@X.com"]


def test_empty():
    assert names("\n# only a comment\n") == []


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_a_spreadsheet_export_with_semicolons_or_tabs_reads_its_header(delimiter):
    # Excel saves "CSV" with ';' where the decimal mark is a comma (de, fr, nl...): the header is no user.
    rows = [["displayName", "userName", "owner_status"], ["Smith, Ann", "ann@x.com", "inactive"],
            ['"Bob"; Jones', "bob@x.com", "active"]]
    text = "\ufeff" + "\r\n".join(delimiter.join(f'"{c}"' if delimiter in c or '"' in c else c for c in row)
                                  for row in rows).replace('"Bob"', '""Bob""') + "\r\n"
    assert parse_users_text(text) == [InputUser("ann@x.com", "inactive", "Smith, Ann"),
                                      InputUser("bob@x.com", "active", '"Bob"; Jones')]


def test_a_semicolon_header_with_an_unknown_column_lists_its_columns():
    with pytest.raises(InputError) as info:
        names("team;full name\nops;Eve\n")
    assert "'team', 'full name'" in str(info.value)
    assert names("team;handle\nops;eve@x.com\n", column="handle") == ["eve@x.com"]


def test_cells_escaped_against_formulas_read_back_as_written():
    text = "userName,displayName,owner_status\n'=1+2@x.com,'@SUM(A1),removed\n'brien@x.com,'' quoted,active\n"
    assert parse_users_text(text) == [InputUser("=1+2@x.com", "removed", "@SUM(A1)"),
                                      InputUser("'brien@x.com", "active", "' quoted")]
    # A plain list is taken literally, an apostrophe included.
    assert names("'=1+2@x.com\n") == ["'=1+2@x.com"]
