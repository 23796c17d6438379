#!/usr/bin/env python3
"""The project's size rules (docs/design.md §7): no source file in src/ over 400 lines, no function over 80
lines, the command-line layer (src/cli/) under 1,200 lines in all. Prints each violation; exit status 1 when
there is one. CTest runs it (code_size).

A function is a brace block whose header (the text since the previous ';', '{' or '}') ends in ')' possibly
followed by qualifiers, an initialiser list or a trailing return type, opened outside any other function; its
length runs from the header's first line to the closing brace. Comments, strings and characters are skipped.
"""
import pathlib
import re
import sys

MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 80
MAX_CLI_LINES = 1200


def strip_code(text):
    """The text with comments, string and character literals blanked (newlines kept)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = text.find(")" + m.group(1) + '"', i) if m else -1
            j = n if end < 0 else end + len(m.group(1)) + 2
            out.append('""' + re.sub(r"[^\n]", " ", text[i + 2:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


FUNCTION_HEADER = re.compile(r"\)\s*(const|override|final|noexcept|mutable|->[^{]*|:[^{]*|\s)*$", re.S)
TYPE_HEADER = re.compile(r"\b(namespace|class|struct|union|enum)\b")


def functions(path):
    """(name, first line, lines) of every function defined in the file."""
    code = strip_code(path.read_text())
    stack = []  # kinds of the open braces: 'function', 'scope' (namespace/type), 'block'
    header_start = 0
    found = []
    for i, c in enumerate(code):
        if c in ";":
            header_start = i + 1
        elif c == "{":
            header = code[header_start:i]
            in_function = "function" in stack
            kind = "block"
            if not in_function:
                if TYPE_HEADER.search(header.split("(")[0]) or header.strip().startswith("extern"):
                    kind = "scope"
                elif FUNCTION_HEADER.search(header.strip()) and not header.strip().startswith("="):
                    kind = "function"
            first = code.count("\n", 0, header_start + len(header) - len(header.lstrip())) + 1
            name = header.strip().split("(")[0].split()[-1] if header.strip() else "?"
            stack.append((kind, first, name))
            header_start = i + 1
        elif c == "}":
            if stack:
                kind, first, name = stack.pop()
                if kind == "function":
                    found.append((name, first, code.count("\n", 0, i) + 1 - first + 1))
            header_start = i + 1
    return found


def main():
    root = pathlib.Path(__file__).resolve().parent.parent
    problems = []
    cli_lines = 0
    for path in sorted((root / "src").rglob("*")):
        if path.suffix not in (".h", ".cpp"):
            continue
        lines = path.read_text().count("\n")
        rel = path.relative_to(root)
        if rel.parts[1] == "cli":
            cli_lines += lines
        if lines > MAX_FILE_LINES:
            problems.append(f"{rel}: {lines} lines (at most {MAX_FILE_LINES})")
        for name, first, length in functions(path):
            if length > MAX_FUNCTION_LINES:
                problems.append(f"{rel}:{first}: function {name} has {length} lines (at most {MAX_FUNCTION_LINES})")
    if cli_lines > MAX_CLI_LINES:
        problems.append(f"src/cli/: {cli_lines} lines in all (at most {MAX_CLI_LINES})")
    for p in problems:
        print(p)
    print(f"src/cli/: {cli_lines} lines; {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
