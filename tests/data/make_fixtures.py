"""Writes the small CSV fixtures the data tests read (run once; the files are committed).

    python tests/data/make_fixtures.py
"""

import io
import zipfile
from pathlib import Path

HERE = Path(__file__).parent


def write(name: str, content, encoding: str = "utf-8") -> None:
    data = content if isinstance(content, bytes) else content.encode(encoding)
    (HERE / name).write_bytes(data)


def rows(n: int, fn) -> str:
    return "".join(fn(i) for i in range(n))


def main() -> None:
    # Good files: separators, encodings, quoting, awkward names.
    write("semicolon_latin1.csv",
          "région;température (°C);catégorie\n" + rows(30, lambda i: f"Île-{i % 3};{10 + i * 0.5};{'été' if i % 2 else 'hiver'}\n"),
          encoding="latin-1")
    write("bom_tab.tsv", b"\xef\xbb\xbf" + ("a\tb\tlabel\n" + rows(30, lambda i: f"{i}\t{i * 2.5}\t{'yes' if i % 3 else 'no'}\n")).encode())
    write("quoted.csv", 'name,comment,score,group\n' + rows(30, lambda i: (
        f'"Smith, J{i}","said ""hi""\nthen left",{i % 7},"g{i % 3}"\n')))
    write("awkward_names.csv", "Body Mass (g),Größe,île name,flipper length,Species (label)\n" + rows(
        60, lambda i: f"{3000 + 37 * (i % 17)},{1.2 + (i % 5) * 0.1},{'Biscoe' if i % 2 else 'Dream'},"
                      f"{180 + i % 20},{'Adélie' if i % 3 == 0 else 'Gentoo' if i % 3 == 1 else 'Chinstrap'}\n"))
    write("kinds.csv", "id,when,note,flag,colour,amount,constant\n" + rows(
        200, lambda i: f"{i + 1},2024-01-{1 + i % 28:02d},free text number {i} about something,"
                       f"{'true' if i % 2 else 'false'},{('red', 'green', 'blue', 'grey')[i % 4]},{(i * 7.3) % 50:.2f},same\n"))

    # Bad files: one per case the reader must explain.
    write("empty.csv", "")
    write("header_only.csv", "a,b,c\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    write("workbook.xlsx", buffer.getvalue())
    write("binary.csv", bytes(range(256)) * 8)
    write("single_column.csv", "value\n" + rows(10, lambda i: f"{i}\n"))
    write("duplicate_columns.csv", "a,b,a\n" + rows(10, lambda i: f"{i},{i * 2},{i * 3}\n"))
    write("junk_numeric.csv", "weight,label\n" + rows(40, lambda i: (
        "abc" if i == 5 else "n/a?" if i == 17 else f"{50 + (i * 7) % 40}.5") + f",{'x' if i % 2 else 'y'}\n"))
    write("single_class.csv", "x,y,label\n" + rows(20, lambda i: f"{(i * 7) % 20},{(i * 3) % 11},same\n"))
    write("many_classes.csv", "x,code,amount\n" + rows(240, lambda i: f"{i % 13},c{i % 60},{i % 60}\n"))
    write("ragged.csv", "a,b,c\n1,2,3\n4,5,6\n7,8,9,10\n11,12,13\n")
    write("ragged_short.csv", "a,b,c\n1,2,3\n4,5\n7,8,9\n")
    write("no_header.csv", rows(10, lambda i: f"{i}.5,{i * 2}.25,{i}\n"))


if __name__ == "__main__":
    main()
