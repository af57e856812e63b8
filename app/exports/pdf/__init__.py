"""The delivery PDF's machinery: WeasyPrint rendering, the limited child process, joining."""
