"""Names resolved to homes, and every home as a row, without a server: paths are case-sensitive, so folders
whose names differ only in case are two homes, while SCIM user names ignore case."""

from dbx_inventory.api.scim import Principal
from dbx_inventory.people.resolve import Homes, Identities, all_homes, once, resolve
from dbx_inventory.people.users_file import InputUser

JANE = Principal("1", "jane@x.com", "Jane", True)
SP = Principal("2", "0a1b-app", "sp-jobs", True, "service_principal")


def directory(*principals: Principal) -> Identities:
    d = Identities()
    for p in principals:
        d.add(p)
    return d


def homes(**places: list[str]) -> Homes:
    return Homes({f"home:{fs}": names for fs, names in places.items()})


def targets(names, d, h):
    return [(t.name, t.folder, t.owner_status, t.error is not None) for t in once(resolve([InputUser(n) for n in names], d, h))]


def test_a_name_typed_exactly_gets_its_own_folder_and_its_twin_gets_its_own():
    h = homes(workspace=["gone@x.com", "GONE@X.COM"], dbfs=["GONE@X.COM", "gone@x.com"])
    got = targets(["GONE@X.COM", "gone@x.com"], directory(JANE), h)
    assert got == [("GONE@X.COM", "GONE@X.COM", "removed", False), ("gone@x.com", "gone@x.com", "removed", False)]


def test_an_exact_folder_wins_over_the_identity_that_matches_without_case():
    h = homes(workspace=["jane@x.com", "JANE@X.COM"])
    got = targets(["JANE@X.COM", "jane@x.com"], directory(JANE), h)
    # Two folders, two rows; the leftover spelled in capitals is still Jane's (SCIM names ignore case).
    assert got == [("JANE@X.COM", "JANE@X.COM", "active", False), ("jane@x.com", "jane@x.com", "active", False)]


def test_without_an_exact_folder_the_identity_or_the_one_folder_like_it():
    h = homes(workspace=["jane@x.com", "Gone@x.com"])
    got = targets(["JANE@X.COM", "GONE@X.COM"], directory(JANE), h)
    assert got == [("JANE@X.COM", "jane@x.com", "active", False), ("GONE@X.COM", "Gone@x.com", "removed", False)]


def test_case_twins_in_a_list_are_one_user_when_they_name_one_home():
    h = homes(workspace=["jane@x.com"])
    assert targets(["JANE@X.COM", "jane@x.com", "Jane@X.com"], directory(JANE), h) == [
        ("JANE@X.COM", "jane@x.com", "active", False)]
    assert targets(["jane@x.com", "jane@x.com"], directory(JANE), None) == [("jane@x.com", "jane@x.com", "active", False)]


def test_a_name_two_folders_match_only_without_case_is_an_error_naming_both():
    h = homes(workspace=["gone@x.com", "GONE@X.COM"])
    (t,) = resolve([InputUser("Gone@x.com")], directory(), h)
    assert t.error and "'Gone@x.com'" in t.error and "gone@x.com, GONE@X.COM" in t.error


def test_all_homes_gives_every_folder_its_own_row():
    listed = {"home:workspace": ["GONE@X.COM", "jane@x.com", "gone@x.com", "JANE@X.COM", "0a1b-app"],
              "home:dbfs": ["gone@x.com", "Zed@x.com", "GONE@X.COM"]}
    rows = [(t.name, t.home, t.owner_status) for t in all_homes(directory(JANE, SP), listed)]
    assert rows == [("jane@x.com", "", "active"), ("0a1b-app", "", "service_principal"),
                    ("GONE@X.COM", "", "removed"), ("gone@x.com", "", "removed"), ("JANE@X.COM", "", "active"),
                    ("Zed@x.com", "", "removed")]


def test_all_homes_an_identity_without_its_exact_folder_takes_one_like_it():
    listed = {"home:dbfs": ["JANE@X.COM"], "home:workspace": ["Jane@x.com"]}
    rows = [(t.name, t.owner_status) for t in all_homes(directory(JANE), listed)]
    assert rows == [("Jane@x.com", "active"), ("JANE@X.COM", "active")]  # the Workspace home's spelling first
