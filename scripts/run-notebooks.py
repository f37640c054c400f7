#!/usr/bin/python3
"""Execute notebooks headless with nbclient on the repository's tslab kernel (jupyter/kernels/syco-tslab).

Run with Debian's Python: /usr/bin/python3 scripts/run-notebooks.py notebooks/*.ipynb

On a cell error it prints the failing cell's source, its stderr and its error outputs (nbconvert alone prints only
"<Error>:"), keeps going with the next notebook, and exits 1 at the end. Executed copies go to --output-dir (never
into notebooks/, whose outputs stay cleared in git). Parameters reach notebooks through environment variables
(SYCO_MODEL, SYCO_DATA, ...), which the kernel inherits.
"""
import argparse
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
DEFAULT_KERNEL = "syco-tslab"


def clean(text):
    """Text without ANSI colour codes."""
    return ANSI.sub("", text)


def tail(text, limit):
    """The last `limit` characters of text, marked when cut."""
    return text if len(text) <= limit else "[... %d characters cut ...]\n%s" % (len(text) - limit, text[-limit:])


def describe_failure(path, nb, index, err, limit):
    """A readable report of the cell that failed: its number, source, stderr, error outputs and stdout tail."""
    lines = []
    if index is None:
        lines.append("FAILED %s: %s" % (path, clean(str(err)).strip()))
        return "\n".join(lines)
    cell = nb.cells[index]
    code_no = sum(1 for c in nb.cells[: index + 1] if c.cell_type == "code")
    lines.append("FAILED %s: cell %d (code cell %d) -- %s" % (path, index, code_no, type(err).__name__))
    lines.append("----- cell source -----")
    lines.append(cell.source)
    stderr, stdout, errors = [], [], []
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream" and out.get("name") == "stderr":
            stderr.append(out.get("text", ""))
        elif kind == "stream":
            stdout.append(out.get("text", ""))
        elif kind == "error":
            tb = "\n".join(out.get("traceback") or [])
            errors.append("%s: %s\n%s" % (out.get("ename", ""), out.get("evalue", ""), tb))
    if stderr:
        lines.append("----- cell stderr -----")
        lines.append(tail(clean("".join(stderr)).rstrip(), limit))
    if errors:
        lines.append("----- cell error -----")
        lines.append(tail(clean("\n".join(errors)).rstrip(), limit))
    if not stderr and not errors:
        lines.append("----- error -----")
        lines.append(tail(clean(str(err)).rstrip(), limit))
    if stdout:
        lines.append("----- cell stdout (tail) -----")
        lines.append(tail(clean("".join(stdout)).rstrip(), min(limit, 2000)))
    lines.append("-----------------------")
    return "\n".join(lines)


def run_one(path, args, nbformat, nbclient):
    """Execute one notebook; returns True when every cell ran without error."""
    nb = nbformat.read(path, as_version=4)
    kernel = args.kernel or (nb.metadata.get("kernelspec") or {}).get("name") or DEFAULT_KERNEL
    state = {"index": None, "start": time.time()}

    def on_cell_start(cell, cell_index, **kwargs):
        state["index"] = cell_index
        state["cell_start"] = time.time()
        if args.verbose:
            print("  cell %d ..." % cell_index, flush=True)

    client = nbclient.NotebookClient(
        nb,
        timeout=args.timeout,
        kernel_name=kernel,
        allow_errors=False,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        on_cell_start=on_cell_start,
    )
    ncode = sum(1 for c in nb.cells if c.cell_type == "code")
    print("== %s (%d code cells, kernel %s)" % (path, ncode, kernel), flush=True)
    ok = True
    try:
        client.execute()
    except Exception as err:  # CellExecutionError, CellTimeoutError, DeadKernelError, kernel start failures
        ok = False
        if isinstance(err, getattr(nbclient.exceptions, "CellTimeoutError", ())):
            print("cell timed out after %s s (raise --timeout)" % args.timeout, file=sys.stderr)
        print(describe_failure(path, nb, state["index"], err, args.max_output), file=sys.stderr, flush=True)
    elapsed = time.time() - state["start"]
    if args.output_dir:
        out = os.path.join(args.output_dir, os.path.basename(path))
        tmp = out + ".tmp-%d" % os.getpid()
        nbformat.write(nb, tmp)
        os.replace(tmp, out)
        print("   executed copy: %s" % out, flush=True)
    print("   %s in %.1f s" % ("ok" if ok else "FAILED", elapsed), flush=True)
    return ok


def main(argv):
    parser = argparse.ArgumentParser(description="Execute notebooks headless on the repository's tslab kernel.")
    parser.add_argument("notebooks", nargs="+", help="notebook files (.ipynb)")
    parser.add_argument("--timeout", type=int, default=int(os.environ.get("SYCO_CELL_TIMEOUT", 900)),
                        help="seconds a single cell may run (default 900, or $SYCO_CELL_TIMEOUT)")
    parser.add_argument("--output-dir", help="write executed copies here (not inside notebooks/)")
    parser.add_argument("--kernel", help="kernel name (default: the notebook's kernelspec, else %s)" % DEFAULT_KERNEL)
    parser.add_argument("--fail-fast", action="store_true", help="stop at the first failing notebook")
    parser.add_argument("--max-output", type=int, default=8000, help="characters of stderr/traceback to print per failure")
    parser.add_argument("-v", "--verbose", action="store_true", help="print each cell as it starts")
    args = parser.parse_args(argv)

    try:
        import nbclient
        import nbclient.exceptions
        import nbformat
    except ImportError as err:
        print("run-notebooks: %s; install Debian's python3-nbclient and jupyter-client (run with /usr/bin/python3)" % err,
              file=sys.stderr)
        return 2

    missing = [p for p in args.notebooks if not os.path.isfile(p)]
    if missing:
        print("run-notebooks: no such notebook: %s" % ", ".join(missing), file=sys.stderr)
        return 2
    if args.output_dir:
        out = os.path.realpath(args.output_dir)
        protected = os.path.realpath(os.path.join(ROOT, "notebooks"))
        sources = {os.path.realpath(os.path.dirname(os.path.abspath(p))) for p in args.notebooks}
        if out == protected or out.startswith(protected + os.sep) or out in sources:
            print("run-notebooks: --output-dir %s would overwrite source notebooks; choose a folder outside notebooks/"
                  % args.output_dir, file=sys.stderr)
            return 2
        os.makedirs(out, exist_ok=True)

    kernels = os.path.join(ROOT, "jupyter")
    os.environ["JUPYTER_PATH"] = kernels + (os.pathsep + os.environ["JUPYTER_PATH"] if os.environ.get("JUPYTER_PATH") else "")
    os.environ.setdefault("SYCO_ROOT", ROOT)

    failed = []
    for path in args.notebooks:
        if not run_one(path, args, nbformat, nbclient):
            failed.append(path)
            if args.fail_fast:
                break
    print("== %d of %d notebooks passed" % (len(args.notebooks) - len(failed), len(args.notebooks)))
    if failed:
        print("failed: %s" % ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
