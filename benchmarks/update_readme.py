"""Copy the benchmark tables from benchmarks/results/*.md into README.md.

README.md marks each table with ``<!-- results: NAME -->`` … ``<!-- /results -->``; the text in
between is replaced by ``benchmarks/results/NAME.md``. Run after a benchmark script:

    python benchmarks/update_readme.py
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(HERE, os.pardir, "README.md")
PATTERN = re.compile(r"(<!-- results: ([\w.-]+) -->\n)(.*?)(<!-- /results -->)", re.S)


def main():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    missing = []

    def fill(m):
        path = os.path.join(HERE, "results", m.group(2) + ".md")
        if not os.path.exists(path):
            missing.append(m.group(2))
            return m.group(0)
        with open(path, encoding="utf-8") as f:
            body = f.read().strip()
        body = re.sub(r"^#+ ", "#### ", body, flags=re.M)  # nest the results' headings under README's
        return f"{m.group(1)}{body}\n{m.group(4)}"

    new = PATTERN.sub(fill, text)
    tmp = README + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(new)
    os.replace(tmp, README)
    print(f"README tables updated; missing results: {missing or 'none'}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
