from dbx_inventory.scan.users_input import dedupe, parse_users_text


def test_plain_lines_with_comments_blanks_bom_and_crlf():
    text = "\ufeffa@x.com\r\n# comment\r\n\r\n  b@x.com  \r\n"
    assert parse_users_text(text) == ["a@x.com", "b@x.com"]


def test_csv_with_header_takes_the_username_column():
    text = "displayName,userName,active\nAnn,ann@x.com,true\n\"Smith, Bob\",bob@x.com,false\n"
    assert parse_users_text(text) == ["ann@x.com", "bob@x.com"]
    assert parse_users_text("email\nc@x.com\n") == ["c@x.com"]


def test_headerless_csv_takes_the_first_column():
    assert parse_users_text("a@x.com,Ann\nb@x.com,Bob\n") == ["a@x.com", "b@x.com"]


def test_dedupe_is_case_insensitive_and_keeps_first_spelling():
    assert dedupe(["A@x.com", "b@x.com", "a@X.com", "B@x.com"]) == ["A@x.com", "b@x.com"]


def test_empty():
    assert parse_users_text("\n# only a comment\n") == []
