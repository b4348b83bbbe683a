"""Run one pytest selection as N processes side by side, then merge their junit reports and logs.

    python bench/gpu_shards.py N --junitxml OUT.xml -- PYTEST_ARGS...

Process I runs ``python -m pytest PYTEST_ARGS --shard I/N`` (tests/conftest.py keeps every N-th selected test),
so the N together run each selected test once. A device machine has 16 cores and one GPU: most of a GPU test's
time is host work (Python, CuPy compiling a kernel the first time), which N processes do side by side, so the
`gpu` tests fit the device's short time. Each shard's output is printed whole, one after another, once all
have ended; OUT.xml holds every shard's test suite. A SIGINT (what `timeout -s INT` sends the process group)
lets each pytest end its run and write its partial report, and the merge still happens. Exit status: 0 when
every shard passed, else the first non-zero status among the shards.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET


def shard_command(pytest_args, index, count, junit):
    return [sys.executable, '-m', 'pytest', *pytest_args, f'--shard={index}/{count}', f'--junitxml={junit}']


def merge_junit(paths, out):
    """One <testsuites> holding every shard's <testsuite>; a shard that wrote no report is left out (its log
    says why). Returns the number of reports merged."""
    merged = ET.Element('testsuites')
    found = 0
    for path in paths:
        if not os.path.exists(path) or os.path.getsize(path) == 0:
            continue
        root = ET.parse(path).getroot()
        merged.extend([root] if root.tag == 'testsuite' else list(root))
        found += 1
    ET.ElementTree(merged).write(out, encoding='utf-8', xml_declaration=True)
    return found


def run_shards(count, pytest_args, junit_out):
    with tempfile.TemporaryDirectory(prefix='gpu_shards_') as scratch:
        logs = [os.path.join(scratch, f'shard{i}.log') for i in range(count)]
        reports = [os.path.join(scratch, f'shard{i}.xml') for i in range(count)]
        processes = []
        for index in range(count):
            with open(logs[index], 'wb') as log:
                processes.append(subprocess.Popen(shard_command(pytest_args, index, count, reports[index]),
                                                  stdout=log, stderr=subprocess.STDOUT))
        # the shards received the SIGINT themselves (same process group): wait for them to write their reports
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            statuses = [process.wait() for process in processes]
        finally:
            signal.signal(signal.SIGINT, previous)
        for index, status in enumerate(statuses):
            print(f'=== shard {index}/{count}: exit {status}', flush=True)
            with open(logs[index], 'rb') as log:
                sys.stdout.buffer.write(log.read())
            sys.stdout.flush()
        merged = merge_junit(reports, junit_out)
        print(f'=== {merged} of {count} shard reports merged into {junit_out}', flush=True)
    return next((status for status in statuses if status != 0), 0)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    # everything after the first `--` is pytest's, untouched by this parser
    split = argv.index('--') if '--' in argv else len(argv)
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0],
                                     usage='%(prog)s N --junitxml OUT.xml -- PYTEST_ARGS...')
    parser.add_argument('count', type=int, help='how many pytest processes')
    parser.add_argument('--junitxml', required=True, help='where the merged junit report goes')
    args = parser.parse_args(argv[:split])
    if args.count < 1:
        parser.error(f'expected at least 1 process, got {args.count}')
    return run_shards(args.count, argv[split + 1:], args.junitxml)


if __name__ == '__main__':
    sys.exit(main())
