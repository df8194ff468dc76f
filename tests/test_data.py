"""Loaders, schema checks, checksums and the byte-for-byte rebuild."""

from __future__ import annotations

import gzip
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from crmlib import cli
from crmlib.data import (
    HARBOR,
    DatasetError,
    Schema,
    build_harbor,
    harbor_file,
    harbor_tables,
    load_cdnow,
    load_harbor,
    parse_table,
    read_table,
    recorded_versions,
    verify_checksums,
    version_differences,
    write_atomic,
    write_checksums,
)


# --------------------------------------------------------------------------- CDNOW
def test_cdnow_sample_counts():
    tx = load_cdnow("sample")
    assert len(tx) == 6919
    assert tx["customer_id"].nunique() == 2357
    assert list(tx.columns) == ["customer_id", "date", "quantity", "amount"]


def test_cdnow_master_counts():
    tx = load_cdnow("master")
    assert len(tx) == 69659
    assert tx["customer_id"].nunique() == 23570


def test_cdnow_types_and_period():
    tx = load_cdnow("sample")
    assert str(tx["date"].dtype).startswith("datetime64")
    assert tx["quantity"].dtype == np.int64 and tx["amount"].dtype == np.float64
    assert tx["date"].min() == pd.Timestamp("1997-01-01")
    assert tx["date"].max() == pd.Timestamp("1998-06-30")
    # The whole cohort made its first purchase in the first quarter of 1997.
    first = tx.groupby("customer_id")["date"].min()
    assert first.max() < pd.Timestamp("1997-04-01")


def test_cdnow_sample_customer_one_matches_published_summary(repo):
    # Customer 1 of Fader and Hardie's summary: x = 2, t_x = 30.43, T = 38.86 weeks.
    tx = load_cdnow("sample")
    one = tx[(tx["customer_id"] == 1) & (tx["date"] <= "1997-09-30")]["date"]
    x = one.nunique() - 1
    t_x = (one.max() - one.min()).days / 7
    T = (pd.Timestamp("1997-09-30") - one.min()).days / 7
    assert (x, round(t_x, 2), round(T, 2)) == (2, 30.43, 38.86)


def test_cdnow_unknown_kind():
    with pytest.raises(DatasetError, match="unknown CDNOW kind 'full'"):
        load_cdnow("full")


# --------------------------------------------------------------------------- Harbor
@pytest.mark.parametrize("table", harbor_tables())
def test_every_harbor_table_loads_typed(table):
    df = load_harbor(table)
    assert len(df) > 0
    assert list(df.columns) == list(HARBOR[table].columns)
    for col, kind in HARBOR[table].columns.items():
        base = kind.rstrip("?")
        dtype = str(df[col].dtype)
        expected = {
            "int": ("int64", "Int64"),
            "float": ("float64",),
            "str": ("str",),
            "bool": ("bool", "boolean"),
            "date": ("datetime64[s]",),
            "datetime": ("datetime64[s]",),
        }[base]
        assert dtype in expected, f"{table}.{col}: {dtype}"


def test_harbor_size_and_story_scale(repo):
    customers = load_harbor("customers")
    assert 5_000 <= len(customers) <= 20_000
    total = sum(p.stat().st_size for p in (repo / "datasets").rglob("*") if p.is_file())
    assert total < 30e6
    purchases = load_harbor("purchases")
    assert purchases["date"].min() == pd.Timestamp("2023-01-01")
    assert purchases["date"].max() <= pd.Timestamp("2025-12-31")
    assert set(purchases["channel"]) == {"cafe", "web", "phone"}


def test_harbor_keys_agree_across_tables():
    customers = set(load_harbor("customers")["customer_id"])
    assert set(load_harbor("purchases")["customer_id"]) <= customers
    orders = load_harbor("purchases")
    items = load_harbor("order_items")
    assert set(items["order_id"]) == set(orders["order_id"])
    per_order = items.groupby("order_id")["quantity"].sum()
    assert (per_order.reindex(orders["order_id"]).to_numpy() == orders["quantity"]).all()
    assert set(items["product_id"]) <= set(load_harbor("products")["product_id"])
    contacts = load_harbor("contacts")
    # Each contact is with exactly one person: a customer, a prospect or a suspect.
    known = contacts[["customer_id", "prospect_id", "suspect_id"]].notna().sum(axis=1)
    assert (known == 1).all()
    # Every customer's first purchase is on the sign-up day.
    first = orders.groupby("customer_id")["date"].min()
    signup = load_harbor("customers").set_index("customer_id")["signup_date"]
    assert (first.reindex(signup.index) == signup).all()


@pytest.mark.parametrize("table", ["purchases", "contacts", "service_tickets", "calls"])
def test_typed_and_checked_paths_agree(table):
    path = harbor_file(table)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    checked = parse_table(raw, HARBOR[table], path)
    pd.testing.assert_frame_equal(checked, load_harbor(table))


def test_text_is_kept_as_typed():
    emails = load_harbor("marketing_list")["email"]
    assert emails.str.startswith(" ").any() and emails.str.endswith("  ").any()


def test_checksums_verify():
    assert verify_checksums() == []


def test_rebuild_is_byte_for_byte(tmp_path, repo):
    written = build_harbor(tmp_path)
    assert len(written) == len(HARBOR)
    for path in written:
        committed = repo / "datasets" / "harbor" / path.name
        assert _text(path) == _text(committed), f"{path.name} differs"


def test_verify_reports_a_tampered_file(tmp_path, repo, capsys):
    data = tmp_path / "datasets"
    shutil.copytree(repo / "datasets", data)
    (data / "harbor" / "products.csv").write_text("product_id,name,category\n1,x,y\n")
    (data / "harbor" / "stray.csv").write_text("a\n1\n")
    problems = verify_checksums(data)
    assert any("products.csv: sha256 differs" in p for p in problems)
    assert any("stray.csv: not listed" in p for p in problems)
    assert cli.main(["data", "verify", "--dir", str(data)]) == 1
    assert "products.csv" in capsys.readouterr().err


def _datasets_copy(tmp_path, repo):
    data = tmp_path / "datasets"
    shutil.copytree(repo / "datasets", data)
    return data


def test_checksums_record_the_build_versions(tmp_path, repo, capsys):
    import platform

    data = _datasets_copy(tmp_path, repo)
    write_checksums(data)
    running = {"python": platform.python_version(), "numpy": np.__version__,
               "pandas": pd.__version__}
    assert recorded_versions(data) == running
    text = (data / "CHECKSUMS").read_text()
    assert f"# version numpy {np.__version__}\n" in text
    assert verify_checksums(data) == [] and version_differences(data) == []
    assert cli.main(["data", "verify", "--dir", str(data)]) == 0
    assert "note:" not in capsys.readouterr().err
    # the committed listing records them too
    assert set(recorded_versions()) == {"python", "numpy", "pandas"}


@pytest.mark.parametrize("package", ["numpy", "pandas", "python"])
def test_verify_says_when_a_rebuild_may_not_give_the_same_bytes(tmp_path, repo, capsys,
                                                                  monkeypatch, package):
    import platform

    data = _datasets_copy(tmp_path, repo)
    write_checksums(data)
    built = recorded_versions(data)[package]
    if package == "python":
        monkeypatch.setattr(platform, "python_version", lambda: "3.99.0")
    else:
        monkeypatch.setattr({"numpy": np, "pandas": pd}[package], "__version__", "0.99.0")
    running = "3.99.0" if package == "python" else "0.99.0"
    notes = version_differences(data)
    assert len(notes) == 1
    assert f"built with {package} {built}, this is {package} {running}" in notes[0]
    assert "may not reproduce the same bytes" in notes[0]
    # the files themselves still match: verify passes, and says why a rebuild may differ
    assert cli.main(["data", "verify", "--dir", str(data)]) == 0
    captured = capsys.readouterr()
    assert "all data files match" in captured.out
    assert f"note: the data were built with {package} {built}" in captured.err


def test_verify_reads_a_listing_without_versions_and_says_so(tmp_path, repo):
    data = _datasets_copy(tmp_path, repo)
    listing = data / "CHECKSUMS"
    listing.write_text("".join(line + "\n" for line in listing.read_text().splitlines()
                               if not line.startswith("#")))
    assert verify_checksums(data) == []
    assert recorded_versions(data) == {}
    (note,) = version_differences(data)
    assert "records no build versions" in note


@pytest.mark.slow  # simulates whole variants
def test_variant_is_reproducible_and_different():
    a = load_harbor("purchases", variant=7)
    b = load_harbor("purchases", variant=7)
    pd.testing.assert_frame_equal(a, b)
    base = load_harbor("purchases")
    other = load_harbor("purchases", variant=8)
    assert list(a.columns) == list(base.columns)
    assert a.dtypes.equals(base.dtypes)
    assert len(a) != len(base) and len(a) != len(other)


@pytest.mark.slow  # simulates whole variants
def test_variant_copy_is_independent():
    a = load_harbor("customers", variant=1)
    a.loc[0, "age"] = 999
    assert load_harbor("customers", variant=1).loc[0, "age"] != 999


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_variant_must_be_a_non_negative_int(bad):
    with pytest.raises(DatasetError, match="variant must be a non-negative integer"):
        load_harbor("customers", variant=bad)


# --------------------------------------------------------------------------- bad input
@pytest.fixture
def data_dir(tmp_path, repo):
    """A private copy of datasets/ to break."""
    dst = tmp_path / "datasets"
    shutil.copytree(repo / "datasets", dst)
    return dst


def _text(path):
    """A data file's text, a .gz file's decompressed."""
    return (gzip.decompress(path.read_bytes()) if path.suffix == ".gz"
            else path.read_bytes()).decode()


def _write(path, text):
    path.write_bytes(gzip.compress(text.encode()) if path.suffix == ".gz" else text.encode())


def _edit(path, old, new, count=1):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, count))


def test_unknown_table():
    with pytest.raises(DatasetError, match=r"unknown Harbor Coffee table 'sales'.*purchases"):
        load_harbor("sales")


def test_missing_file(data_dir):
    harbor_file("purchases", data_dir).unlink()
    with pytest.raises(DatasetError, match=r"purchases\.csv\.gz: file not found") as err:
        load_harbor("purchases", data_dir=data_dir)
    assert err.value.path.endswith("purchases.csv.gz")


def test_damaged_gzip_file_is_named(data_dir):
    path = harbor_file("order_items", data_dir)
    path.write_bytes(path.read_bytes()[:5000])  # cut short, as by a failed download
    with pytest.raises(DatasetError, match=r"order_items\.csv\.gz: cannot read the file"):
        load_harbor("order_items", data_dir=data_dir)


def test_missing_cdnow_file(data_dir):
    (data_dir / "cdnow" / "CDNOW_sample.txt").unlink()
    with pytest.raises(DatasetError, match=r"CDNOW_sample\.txt: file not found"):
        load_cdnow("sample", data_dir=data_dir)


def test_missing_column(data_dir):
    path = data_dir / "harbor" / "products.csv"
    df = pd.read_csv(path).drop(columns="category")
    df.to_csv(path, index=False)
    with pytest.raises(DatasetError, match=r"products\.csv, column 'category': missing column"):
        load_harbor("products", data_dir=data_dir)


def test_extra_column(data_dir):
    path = data_dir / "harbor" / "products.csv"
    pd.read_csv(path).assign(colour="brown").to_csv(path, index=False)
    with pytest.raises(DatasetError, match=r"column 'colour': unexpected column"):
        load_harbor("products", data_dir=data_dir)


def test_unparsable_date_names_line(data_dir):
    path = harbor_file("purchases", data_dir)
    lines = _text(path).splitlines(keepends=True)
    lines[5] = lines[5].replace(lines[5].split(",")[2], "2023-13-45")
    _write(path, "".join(lines))
    with pytest.raises(DatasetError) as err:
        load_harbor("purchases", data_dir=data_dir)
    assert (err.value.column, err.value.line) == ("date", 6)
    assert "2023-13-45" in str(err.value) and "purchases.csv" in str(err.value)


def test_unparsable_cdnow_date(data_dir):
    path = data_dir / "cdnow" / "CDNOW_sample.txt"
    _edit(path, "19970118", "1997011X")
    with pytest.raises(DatasetError) as err:
        load_cdnow("sample", data_dir=data_dir)
    assert (err.value.column, err.value.line) == ("date", 2)


@pytest.mark.parametrize("column", ["quantity", "amount"])
def test_negative_quantity_or_amount(data_dir, column):
    path = harbor_file("purchases", data_dir)
    df = pd.read_csv(path, dtype=str)
    df.loc[41, column] = "-" + df.loc[41, column]
    df.to_csv(path, index=False)
    with pytest.raises(DatasetError, match="negative values are not allowed") as err:
        load_harbor("purchases", data_dir=data_dir)
    assert (err.value.column, err.value.line) == (column, 43)


def test_negative_cdnow_amount(data_dir):
    path = data_dir / "cdnow" / "CDNOW_master.txt"
    _edit(path, "   11.77", "  -11.77")
    with pytest.raises(DatasetError, match="negative") as err:
        load_cdnow("master", data_dir=data_dir)
    assert (err.value.column, err.value.line) == ("amount", 2)


def test_duplicate_key(data_dir):
    path = data_dir / "harbor" / "customers.csv"
    lines = path.read_text().splitlines(keepends=True)
    lines.insert(10, lines[3])
    path.write_text("".join(lines))
    with pytest.raises(DatasetError, match=r"duplicate key \(3,\)") as err:
        load_harbor("customers", data_dir=data_dir)
    assert (err.value.column, err.value.line) == ("customer_id", 11)


@pytest.mark.parametrize(
    "table, row, column, value, message",
    [
        ("order_items", 2, "quantity", "two", r"column 'quantity', line 4: cannot read 'two'"),
        ("customers", 0, "email", "", r"column 'email', line 2: empty cell"),
        ("calls", 0, "order_placed", "yes", r"column 'order_placed', line 2: expected True"),
    ],
)
def test_bad_cell_names_column_and_line(data_dir, table, row, column, value, message):
    path = harbor_file(table, data_dir)
    df = pd.read_csv(path, dtype=str)
    df.loc[row, column] = value
    df.to_csv(path, index=False)
    with pytest.raises(DatasetError, match=message):
        load_harbor(table, data_dir=data_dir)


def test_empty_file(data_dir):
    (data_dir / "harbor" / "products.csv").write_text("")
    with pytest.raises(DatasetError, match=r"products\.csv: cannot read the file as CSV"):
        load_harbor("products", data_dir=data_dir)


def test_wrong_number_of_cdnow_fields(data_dir):
    path = data_dir / "cdnow" / "CDNOW_sample.txt"
    path.write_text(" 00004 19970101  2   29.33\n")
    with pytest.raises(DatasetError, match=r"expected 5 whitespace-separated fields"):
        load_cdnow("sample", data_dir=data_dir)


def test_dataset_error_is_caught_as_a_value_error_with_its_facts(data_dir):
    # Code that guards against bad input with `except ValueError` must catch it.
    (data_dir / "harbor" / "products.csv").write_text(
        "product_id,name,category,price,unit_cost,durable\n1,,Tea,3.00,1.00,False\n")
    try:
        load_harbor("products", data_dir=data_dir)
    except ValueError as err:
        caught = err
    assert isinstance(caught, DatasetError)
    assert (caught.column, caught.line) == ("name", 2)
    assert caught.path == str(data_dir / "harbor" / "products.csv")


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "table.csv"
    path.write_text("old\n")

    with pytest.raises(TypeError):
        write_atomic(path, 12345)  # not text: fails while writing the temporary file
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]


@pytest.mark.slow  # simulates all of Harbor Coffee
def test_cli_build_into_folder_then_verify(tmp_path, capsys):
    (tmp_path / "cdnow").mkdir()
    assert cli.main(["data", "build", "--dir", str(tmp_path)]) == 0
    assert cli.main(["data", "verify", "--dir", str(tmp_path)]) == 0
    assert "all data files match" in capsys.readouterr().out


# --------------------------------------------------------------------------- one validator
SMALL = Schema(
    {"id": "int", "flag": "bool", "value": "float", "count": "int?", "day": "date?"}, ("id",)
)


def _small(tmp_path, rows: list[str]):
    path = tmp_path / "small.csv"
    path.write_text("id,flag,value,count,day\n" + "".join(r + "\n" for r in rows))
    return path


def _both_ways(path):
    """The table read from its file and parsed from its text cells: one validator."""
    from_file = read_table(path, SMALL)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    pd.testing.assert_frame_equal(parse_table(raw, SMALL, path), from_file)
    return from_file


def test_booleans_follow_one_rule(tmp_path):
    path = _small(
        tmp_path, ["1,True,1.5,,", "2,False,2,3,2025-01-31", "3,True,0,0,", "4,False,7.25,,"]
    )
    t = _both_ways(path)
    assert t["flag"].tolist() == [True, False, True, False]
    assert t["flag"].dtype == bool
    assert t["count"].isna().tolist() == [True, False, False, True]
    assert t["day"].iloc[1] == pd.Timestamp("2025-01-31")


@pytest.mark.parametrize(
    "cell, message",
    [
        ("yes", "expected True or False"),
        ("1", "expected True or False"),
        ("true", "expected True or False"),
        ("TRUE", "expected True or False"),
    ],
)
def test_a_bad_boolean_names_its_cell(tmp_path, cell, message):
    path = _small(tmp_path, ["1,True,1.5,,", f"2,{cell},2,,"])
    with pytest.raises(DatasetError, match=message) as err:
        read_table(path, SMALL)
    assert (err.value.column, err.value.line) == ("flag", 3)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    with pytest.raises(DatasetError, match=message):
        parse_table(raw, SMALL, path)


@pytest.mark.parametrize(
    "column, cell",
    [
        ("value", "inf"),
        ("value", "-inf"),
        ("value", "nan"),
        ("value", "NaN"),
        ("value", "Infinity"),
        ("count", "inf"),
        ("count", "nan"),
    ],
)
def test_numbers_must_be_finite(tmp_path, column, cell):
    row = {"value": f"1,True,{cell},2,", "count": f"1,True,1.0,{cell},"}[column]
    path = _small(tmp_path, ["7,False,3.0,,", row])
    with pytest.raises(DatasetError, match="finite number") as err:
        read_table(path, SMALL)
    assert (err.value.column, err.value.line) == (column, 3)
    raw = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    with pytest.raises(DatasetError, match="finite number"):
        parse_table(raw, SMALL, path)


def test_a_text_na_is_not_a_missing_value(tmp_path):
    # Only an empty cell is missing; "NA" in a number column is a bad number.
    path = _small(tmp_path, ["1,True,NA,,"])
    with pytest.raises(DatasetError, match="cannot read 'NA' as a number") as err:
        read_table(path, SMALL)
    assert (err.value.column, err.value.line) == ("value", 2)


def _dictionary(text: str) -> dict[str, tuple[dict[str, str], tuple[str, ...]]]:
    """Columns, kinds and key of each table in datasets/README.md.

    A section is ``### name: ... (key `a`, `b`)`` followed by ``| columns | type | meaning |``
    rows; a row may name several columns of one type, and ``may be empty`` marks ``?``.
    """
    tables = {}
    for head in re.finditer(r"^### (\w+):.*\(key (.*)\)\s*$", text, re.M):
        body = text[head.end() :].split("\n#", 1)[0]
        columns = {}
        for names, kind in re.findall(r"^\|([^|]+)\|([^|]+)\|", body, re.M):
            kind = kind.strip()
            if names.strip() in ("column", "---"):
                continue
            base = kind.split(",")[0].strip() + ("?" if "may be empty" in kind else "")
            for name in names.split(","):
                columns[name.strip()] = base
        tables[head.group(1)] = (columns, tuple(re.findall(r"`(\w+)`", head.group(2))))
    return tables


def test_data_dictionary_matches_the_schema(repo):
    documented = _dictionary((repo / "datasets" / "README.md").read_text())
    assert list(documented) == list(HARBOR), "tables, in the order of the dictionary"
    for table, schema in HARBOR.items():
        columns, key = documented[table]
        assert columns == schema.columns, f"datasets/README.md, table {table}"
        assert key == schema.key, f"datasets/README.md, key of {table}"


def _clear_variant_caches(data):
    from crmlib.grading import variants

    for cached in (data._variant_core, data._variant_silos, data._variant_table,
                   variants.handed_over_tables):
        cached.cache_clear()


@pytest.mark.slow  # simulates a whole variant
def test_variant_cache_file_gives_the_same_frames_without_simulating(tmp_path, monkeypatch):
    import crmlib.data as data
    import crmlib.simulate.harbor as harbor
    from crmlib.grading.variants import VARIANT_CACHE_ENV, save_variant_cache, variant_cache_file

    _clear_variant_caches(data)
    expected = {t: load_harbor(t, variant=11) for t in ("purchases", "silo_links", "prospects")}
    data._variant_table.cache_clear()  # as if the grader had never loaded those: the
    # simulation is still there, so every table it made is handed over all the same
    assert save_variant_cache(11, tmp_path, only_if_simulated=True) is not None
    assert save_variant_cache(12, tmp_path, only_if_simulated=True) is None  # never simulated
    load_harbor("customers", variant=13)  # the core of variant 13, never its silo tables
    sealed = tmp_path / "sealed"
    sealed.mkdir()
    save_variant_cache(13, sealed, only_if_simulated=True, exclude=("campaign_effects",))
    _clear_variant_caches(data)

    def refuse(*args, **kwargs):
        raise AssertionError("simulated although a cache file was there")

    monkeypatch.setattr(harbor, "simulate_core", refuse)
    monkeypatch.setattr(harbor, "simulate_silo_tables", refuse)
    monkeypatch.setenv(VARIANT_CACHE_ENV, str(tmp_path))
    for table, frame in expected.items():
        pd.testing.assert_frame_equal(load_harbor(table, variant=11), frame)
    # what the grader did not simulate (the silos) or kept out is not handed over
    monkeypatch.setenv(VARIANT_CACHE_ENV, str(sealed))
    assert len(load_harbor("purchases", variant=13)) > 0
    for table in ("campaign_effects", "silo_links"):
        with pytest.raises(AssertionError, match="simulated although"):
            load_harbor(table, variant=13)
    _clear_variant_caches(data)
    # a damaged cache file is ignored: the variant is simulated as before
    monkeypatch.setenv(VARIANT_CACHE_ENV, str(tmp_path))
    variant_cache_file(tmp_path, 11).write_bytes(b"not a pickle")
    with pytest.raises(AssertionError, match="simulated although"):
        load_harbor("purchases", variant=11)
    _clear_variant_caches(data)


def test_the_loader_and_the_grader_name_the_same_hand_over_variable():
    import crmlib.data as data
    from crmlib.grading.variants import VARIANT_CACHE_ENV

    assert data._HANDOVER_ENV == VARIANT_CACHE_ENV


def test_loading_data_needs_the_grader_only_when_it_handed_something_over(tmp_path):
    # A student's install imports nothing of crmlib.grading; in the grader's sandbox
    # (the variable set) only the light reader is imported, none of the grader.
    script = textwrap.dedent(f"""
        import os, sys
        import crmlib.data as data
        data.load_harbor("products")
        print(sorted(m for m in sys.modules if m.startswith("crmlib.grading")))
        os.environ[data._HANDOVER_ENV] = {str(tmp_path)!r}
        assert data._handed_over(5, "products") is None  # no file: simulate as usual
        heavy = ("papermill", "nbclient", "crmlib.grading.core", "crmlib.grading.sandbox")
        print(sorted(m for m in sys.modules
                     if m.startswith("crmlib.grading") or m in heavy))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["[]", "['crmlib.grading', 'crmlib.grading.variants']"]


@pytest.mark.slow  # simulates a whole variant
def test_variant_tables_are_typed_as_their_csv_would_be_read():
    """A variant's tables skip the CSV text (speed); they must equal what writing each
    simulated table in the committed format and reading it back gives, to the bit."""
    import io

    from crmlib import data
    from crmlib.data import HARBOR, read_table, to_csv_text

    for name, schema in HARBOR.items():
        raw = data._variant_raw(7, name)
        via_text = read_table(io.StringIO(to_csv_text(raw, schema)), schema)
        pd.testing.assert_frame_equal(data._typed_frame(raw, schema, name), via_text,
                                      check_exact=True, obj=name)


def test_a_broken_simulated_table_is_named():
    from crmlib import data
    from crmlib.data import HARBOR

    schema = HARBOR["products"]
    raw = load_harbor("products")
    raw.loc[2, "unit_cost"] = -1.0
    with pytest.raises(DatasetError, match=r"variant 3: products, column 'unit_cost'.*row 2"):
        data._typed_frame(raw, schema, "variant 3: products")
