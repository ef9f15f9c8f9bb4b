"""Reading a finished run back: show, report.html, explain, eval."""
