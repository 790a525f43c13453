"""The benchmark tool behind `vinify benchmark`: run loop, statistics, progress, report, plot."""
