# Sourced by bin/run, bin/test and .ci/run: go to the project root and make sure .venv
# has requirements.txt installed (skipped while requirements.txt is unchanged).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

apt_install() {
    echo "==> apt-get install $*"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

setup_venv() {
    local python=${PYTHON:-python3}
    if [[ ! -x .venv/bin/python ]]; then
        echo "==> creating .venv with $python"
        if ! "$python" -m venv .venv; then
            rm -rf .venv   # Debian's python3 lacks ensurepip until python3-venv is installed
            apt_install python3-venv
            "$python" -m venv .venv
        fi
    fi
    local stamp=.venv/.requirements.sha256 want
    want=$(sha256sum requirements.txt | cut -d' ' -f1)
    if [[ ! -f $stamp || $(<"$stamp") != "$want" ]]; then
        echo "==> pip install -r requirements.txt"
        .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt
        echo "$want" >"$stamp"
    fi
}

setup_venv
