from monitor.cli import command

command()
