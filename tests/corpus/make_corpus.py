"""Write the malformed-input corpus (run from the repository root: python tests/corpus/make_corpus.py).

Every file is the small valid panel ``_valid_base.csv`` (8 people, 6 months, pilot
gent_mobiel_arbeidsteam) with one defect, except the handmade Dutch Excel exports. The files are
checked into git; this script documents how each was made and rewrites them all. README.md lists
each file, what it tests and what the message must contain (tests/unit/data/test_corpus.py reads it).
"""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
COLS = ["person_id", "month", "municipality", "area", "ladder_step", "group", "start_month", "in_training"]
MONTHS = ["2021-01", "2021-02", "2021-03", "2021-04", "2021-05", "2021-06"]
# person: (area, NIS code, group, start month, ladder steps over the six months)
PEOPLE = {
    "P01": ("Gent Dampoort", "44021", "pilot", "2021-03", [2, 2, 3, 4, 5, 5]),
    "P02": ("Gent Dampoort", "44021", "pilot", "2021-04", [1, 2, 2, 3, 4, 6]),
    "P03": ("Gent Ledeberg", "44021", "pilot", "2021-03", [3, 3, 4, 5, 6, 6]),
    "P04": ("Gent Ledeberg", "44021", "pilot", "2021-05", [2, 3, 3, 3, 4, 5]),
    "P05": ("Aalst", "41002", "comparison", "", [2, 2, 2, 3, 3, 3]),
    "P06": ("Aalst", "41002", "comparison", "", [4, 4, 5, 5, 5, 6]),
    "P07": ("Genk", "71016", "comparison", "", [1, 1, 2, 2, 2, 3]),
    "P08": ("Genk", "71016", "comparison", "", [3, 4, 4, 3, 4, 5]),
}


def base() -> pd.DataFrame:
    rows = []
    for pid, (area, nis, group, start, steps) in PEOPLE.items():
        for i, (month, step) in enumerate(zip(MONTHS, steps, strict=True)):
            rows.append([pid, month, nis, area, str(step), group, start, "true" if (i + int(pid[1:])) % 4 == 0
                         else "false"])
    return pd.DataFrame(rows, columns=COLS)


def line(i: int) -> int:
    """CSV line number of data row i (0-based): the header is line 1."""
    return i + 2


def csv(frame: pd.DataFrame, name: str, sep: str = ",") -> None:
    (HERE / name).write_text(frame.to_csv(sep=sep, index=False), encoding="utf-8")


def xlsx_bytes(frame: pd.DataFrame) -> bytes:
    """A real (minimal) Office Open XML workbook with inline strings; opens in Excel and LibreOffice."""
    def cell_ref(r: int, c: int) -> str:
        return f"{chr(ord('A') + c)}{r + 1}"
    rows_xml = []
    for r, values in enumerate([list(frame.columns), *frame.astype(str).values.tolist()]):
        cells = "".join(f'<c r="{cell_ref(r, c)}" t="inlineStr"><is><t>{v}</t></is></c>' for c, v in enumerate(values))
        rows_xml.append(f'<row r="{r + 1}">{cells}</row>')
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '</Types>'),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="panel" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f'<sheetData>{"".join(rows_xml)}</sheetData></worksheet>'),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text)
    return buf.getvalue()


def dutch_excel(frame: pd.DataFrame) -> bytes:
    """As Belgian Excel saves 'CSV UTF-8': BOM, semicolons, Dutch headers, dd/mm/yyyy dates,
    capitalised groups, WAAR/ONWAAR, a trailing separator on every line and a blank line at the end."""
    nl = frame.copy()
    for c in ("month", "start_month"):
        nl[c] = nl[c].map(lambda m: "" if not m else f"01/{m[5:7]}/{m[:4]}")
    nl["group"] = nl["group"].map({"pilot": "Pilot", "comparison": "Vergelijking"})
    nl["in_training"] = nl["in_training"].map({"true": "WAAR", "false": "ONWAAR"})
    nl.columns = ["Persoon_ID", "Maand", "Gemeente", "Gebied", "Trede", "Groep", "Startmaand", "In opleiding"]
    text = nl.to_csv(sep=";", index=False, lineterminator="\r\n").replace("\r\n", ";\r\n") + ";;;;;;;;\r\n"
    return b"\xef\xbb\xbf" + text.encode("utf-8")


def main() -> None:
    b = base()
    csv(b, "_valid_base.csv")
    (HERE / "dutch_excel_valid.csv").write_bytes(dutch_excel(b))
    gaps = b.drop(index=[2, 3, 15])  # P01 misses March and April, P03 misses April
    csv(gaps, "gaps_allowed.csv")

    # --- the file itself
    (HERE / "empty.csv").write_bytes(b"")
    (HERE / "header_only.csv").write_text(",".join(COLS) + "\n", encoding="utf-8")
    (HERE / "excel_workbook_renamed.csv").write_bytes(xlsx_bytes(b))
    (HERE / "excel_workbook.xlsx").write_bytes(xlsx_bytes(b))
    (HERE / "gzipped.csv").write_bytes(gzip.compress(b.to_csv(index=False).encode(), mtime=0))
    (HERE / "binary.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01" + bytes(range(256)))
    w = b.copy()
    w.loc[w["area"] == "Genk", "area"] = "Genk Cité"
    (HERE / "windows1252.csv").write_bytes(w.to_csv(sep=";", index=False).encode("cp1252"))
    (HERE / "utf16_unicode_text.csv").write_bytes(b.to_csv(sep="\t", index=False).encode("utf-16"))
    r = b.assign(cost_eur="190")
    r.loc[[4, 9], "cost_eur"] = "190,50"  # unquoted decimal comma in a comma-separated file
    text = r.to_csv(index=False, quoting=3, escapechar="\\")
    (HERE / "ragged_rows.csv").write_text(text.replace("\\,", ","), encoding="utf-8")
    pq = b.copy()
    pq["ladder_step"] = pq["ladder_step"].astype(object)
    pq.loc[[1, 7], "ladder_step"] = "vier"
    pq.to_parquet(HERE / "parquet_wrong_types.parquet", index=False)
    good = io.BytesIO()
    b.to_parquet(good, index=False)
    (HERE / "parquet_truncated.parquet").write_bytes(good.getvalue()[:300])

    # --- columns
    csv(b.drop(columns="area"), "missing_column.csv")
    csv(b.rename(columns={"ladder_step": "ladder_setp"}), "misspelled_column.csv")
    csv(b.rename(columns={"in_training": "in_trainig"}), "misspelled_optional_column.csv")
    csv(b.assign(opmerking="belt terug"), "unknown_column.csv")
    dup = b.copy()
    (HERE / "duplicate_column.csv").write_text(
        dup.assign(month2=dup["month"]).to_csv(index=False).replace("month2", "month", 1), encoding="utf-8")
    csv(b.assign(employed="false"), "derived_column.csv")

    # --- values (row i of the frame is CSV line i + 2)
    def with_value(name: str, column: str, rows: list[int], value: str) -> None:
        f = b.copy()
        f.loc[rows, column] = value
        csv(f, name)

    with_value("ladder_step_0.csv", "ladder_step", [3, 20], "0")
    with_value("ladder_step_7.csv", "ladder_step", [8], "7")
    f = b.copy()
    f.loc[5, "ladder_step"], f.loc[30, "ladder_step"] = "vier", "4b"
    csv(f, "ladder_step_text.csv")
    with_value("ladder_step_decimal.csv", "ladder_step", [12], "4,5")
    with_value("empty_value.csv", "area", [6, 7], "")
    with_value("group_unknown.csv", "group", [24, 25, 26, 27, 28, 29], "deelnemer")
    with_value("municipality_name.csv", "municipality", [0, 1, 2, 3, 4, 5], "Gent")
    with_value("bool_unreadable.csv", "in_training", [10], "misschien")
    csv(b.assign(cost_eur=["-190" if i == 14 else "190" for i in range(len(b))]), "negative_cost.csv")

    # --- months
    f = b.copy()
    f.loc[2, "month"], f.loc[40, "month"] = "2021-13", "maart 2021"
    csv(f, "month_unparsable.csv")
    with_value("month_out_of_range.csv", "month", [33], "2121-04")
    f = b.copy()
    f["month"] = f["month"].map(lambda m: f"{m[5:7]}/01/{m[:4]}")  # US order: 03/01/2021 for March
    csv(f, "month_us_order.csv")
    f = b.copy()
    serial = {m: str((pd.Timestamp(m + "-01") - pd.Timestamp("1899-12-30")).days) for m in MONTHS}
    f["month"] = f["month"].map(serial)
    csv(f, "month_excel_serial.csv")
    f = b.copy()
    f["month"] = f["month"].map(lambda m: f"01/{m[5:7]}/{m[2:4]}")
    csv(f, "month_two_digit_year.csv")

    # --- rows that contradict each other
    csv(pd.concat([b, b.iloc[[9]]]).reset_index(drop=True), "duplicate_person_month.csv")
    moved = b.iloc[[40]].assign(municipality="12025", area="Mechelen")
    csv(pd.concat([b, moved]).reset_index(drop=True), "two_municipalities.csv")
    with_value("start_before_data.csv", "start_month", list(range(6, 12)), "2020-10")
    with_value("start_after_data.csv", "start_month", list(range(18, 24)), "2021-09")
    with_value("pilot_without_start.csv", "start_month", list(range(0, 6)), "")
    with_value("comparison_with_start.csv", "start_month", list(range(24, 30)), "2021-03")
    with_value("start_month_varies.csv", "start_month", [10, 11], "2021-05")
    with_value("group_varies.csv", "group", [44, 45], "pilot")

    # --- the design
    with_value("no_month_before_entry.csv", "start_month", list(range(0, 24)), "2021-01")
    f = b.copy()
    f["group"], f["start_month"] = "pilot", "2021-03"
    csv(f, "no_comparison_group.csv")
    csv(b.assign(area="Gent"), "one_cluster.csv")
    csv(b.assign(ladder_step="3", in_training="false"), "outcome_never_varies.csv")
    f = b.copy()
    f["month"] = f["month"].str.replace("2021", "2024")
    f["start_month"] = f["start_month"].str.replace("2021", "2024")
    csv(f, "outside_study_period.csv")

    # --- privacy
    def rrn(birth: str, serial: int, born_2000: bool = False) -> str:
        body = int(birth + f"{serial:03d}")
        check = 97 - ((2_000_000_000 + body) if born_2000 else body) % 97
        return f"{birth}{serial:03d}{check:02d}"

    ids = {"P01": rrn("850730", 33), "P02": rrn("010215", 124, True), "P03": rrn("920101", 55),
           "P04": rrn("770412", 201), "P05": rrn("030909", 17, True), "P06": rrn("880228", 98),
           "P07": rrn("690531", 7), "P08": rrn("951120", 312)}
    csv(b.assign(person_id=b["person_id"].map(ids)), "national_register_numbers.csv")
    csv(b.assign(rijksregisternummer=b["person_id"].map(ids)), "rrn_column.csv")
    names = {"P01": "Jan Peeters", "P02": "Fatima El Amrani", "P03": "JANSSENS Marc", "P04": "An De Smet",
             "P05": "Mohamed Benali", "P06": "Els Van den Broeck", "P07": "Kevin Maes", "P08": "Ayse Yilmaz"}
    csv(b.assign(klant=b["person_id"].map(names)), "names_column.csv")
    csv(b.assign(contact=b["person_id"].map(lambda p: f"{p.lower()}@voorbeeld.be")), "email_column.csv")
    phones = {p: f"0470 {i:02d} {i + 10:02d} {i + 20:02d}" for i, p in enumerate(PEOPLE, start=11)}
    csv(b.assign(bereikbaar_op=b["person_id"].map(phones)), "phone_column.csv")

    # --- a handmade Excel export with the mistakes people make
    m = b.copy()
    m.loc[24:29, "start_month"] = "2021-03"     # comparison person P05 given a start month (lines 26-31)
    m.loc[13, "ladder_step"] = "0"              # "0" typed for "unknown" (line 15)
    m.loc[36:41, "municipality"] = "Genk"       # a name instead of the NIS code (lines 38-43)
    m = pd.concat([m, m.iloc[[20]]]).reset_index(drop=True)  # a row pasted twice (lines 22 and 50)
    (HERE / "dutch_excel_mistakes.csv").write_bytes(dutch_excel(m))

    # --- typed by hand in a spreadsheet: free-style Dutch headers and four more mistakes
    h = b.copy()
    h["month"] = h["month"].map(lambda x: f"01/{x[5:7]}/{x[:4]}")
    h["start_month"] = h["start_month"].map(lambda x: "" if not x else f"01/{x[5:7]}/{x[:4]}")
    h.loc[0, "month"] = "jan-21"                 # Excel's mmm-yy display format (line 2)
    h.loc[2, "ladder_step"] = "Trede 4"          # a label instead of the number (line 4)
    h.loc[1, "municipality"] = "9000"            # the postcode of Gent, not its NIS code (line 3)
    h.loc[28, "group"] = "ja"                    # yes/no instead of pilot/comparison (line 30)
    h = h.drop(columns="in_training")
    h.columns = ["Persoon ID", "Maand", "Gemeente", "Gebied", "Trede", "Groep", "Start maand"]
    (HERE / "dutch_handmade_mistakes.csv").write_text(h.to_csv(sep=";", index=False), encoding="utf-8")


if __name__ == "__main__":
    main()
