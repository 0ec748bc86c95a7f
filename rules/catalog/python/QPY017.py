import os
import subprocess


def pack(archive, folder):
    os.system(f"tar czf {archive} {folder}")  # expect: QPY017
    out = os.popen("ls").read()  # expect: QPY017
    subprocess.run(["tar", "czf", archive, folder], check=True)  # ok: QPY017
    os.path.join(archive, folder)  # ok: QPY017
    return system(out)  # ok: QPY017
