"""Reports: report.json, baselines and the terminal summary."""
