"""The cached virtualenv with Tempest 47.0.0 and its plugins."""

import shutil
import subprocess
import sys
from pathlib import Path

from tempestkit.common import die, log


TEMPEST_VERSION = "47.0.0"
REQUIREMENTS = [
    "tempest==47.0.0",
    "keystone-tempest-plugin==0.22.0",
    "neutron-tempest-plugin==3.3.0",
    "cinder-tempest-plugin==1.23.0",
    "glance-tempest-plugin==0.17.0",
    "heat-tempest-plugin==3.0.0",
    "ironic-tempest-plugin==3.2.0",
    "cyborg-tempest-plugin==2.8.0",
    "barbican-tempest-plugin==4.6.0",
]
# A combination known to install without conflicts and to discover every
# test of the plugins with no import error (pip check clean, Python 3.11).
# Used as pip constraints; if they cannot be met (another Python version), the
# install is retried without them.
CONSTRAINTS = """
alembic==1.20.1 amqp==5.4.2 anyio==4.16.0 attrs==26.1.0 autopage==0.6.0
bcrypt==5.0.0 cachetools==8.0.2 certifi==2026.10.19.post1 cffi==2.1.1
charset-normalizer==3.5.3 cliff==4.17.0 cmd2==4.3.1 colorama==0.4.6
cryptography==50.0.2 ddt==1.7.2 debtcollector==3.1.0 decorator==5.3.1
defusedxml==0.7.1 dnspython==2.9.2 dogpile.cache==1.5.0 eventlet==0.41.3
fasteners==0.20 fixtures==4.3.2 futurist==3.5.0 gabbi==4.2.3
gnocchiclient==7.2.0 greenlet==3.5.6 h11==0.16.0 h2==4.4.1 hpack==4.2.0
httpcore==1.0.9 httpx==0.28.1 hyperframe==6.1.0 idna==3.20 iniconfig==2.3.1
invoke==3.0.3 iso8601==2.1.0 Jinja2==3.1.6 jmespath==1.1.0 jsonpatch==1.48
jsonpath-ng==1.16.0 jsonpointer==3.12 jsonschema==4.26.0
jsonschema-specifications==2025.9.1 keystoneauth1==5.18.1 kombu==5.7.0
lxml==6.1.3 Mako==1.4.3 markdown-it-py==4.3.0 MarkupSafe==3.0.4 mdurl==0.1.2
msgpack==1.2.4 ncclient==0.7.1 netaddr==1.3.0 neutron-lib==5.0.1
openstacksdk==4.22.0 os-collect-config==14.1.0 os-ken==4.2.2
os-service-types==1.9.0 os-traits==3.9.0 osc-lib==4.7.0
oslo.concurrency==7.6.1 oslo.config==10.7.0 oslo.context==6.5.0
oslo.db==18.1.1 oslo.i18n==6.9.0 oslo.log==8.3.2 oslo.messaging==18.3.1
oslo.metrics==0.17.0 oslo.middleware==8.2.0 oslo.policy==6.0.1
oslo.serialization==5.11.0 oslo.service==4.8.0 oslo.utils==10.2.0
oslo.versionedobjects==3.12.0 osprofiler==4.4.0 ovs==4.0.0 packaging==26.4
paramiko==5.1.0 Paste==3.10.1 PasteDeploy==3.1.0 pbr==7.1.3 pecan==1.8.0
platformdirs==4.14.8 pluggy==1.7.0 prettytable==3.18.0
prometheus_client==0.26.0 prompt_toolkit==3.0.53 psutil==7.2.2
pycparser==3.12 Pygments==2.21.0 PyNaCl==1.6.2 pyparsing==3.3.3
pyperclip==1.11.0 pytest==9.2.0 python-cinderclient==9.10.0
python-dateutil==4.0.0 python-heatclient==5.3.0 python-keystoneclient==6.0.0
python-neutronclient==14.0.0 python-novaclient==18.13.1
python-subunit==1.4.6 python-swiftclient==4.11.0 python-zaqarclient==4.7.0
PyYAML==6.0.4 referencing==0.37.0 repoze-lru==0.8 requests==2.34.2
rfc3986==2.0.0 rich==15.0.0 rich-argparse==1.8.0 Routes==2.5.1
rpds-py==2026.9.1 setproctitle==1.3.8 six==1.17.0 sortedcontainers==2.4.0
SQLAlchemy==2.1.9 statsd==4.0.1 stestr==4.2.1 stevedore==5.10.0
tenacity==9.2.1 testresources==2.1.2 testscenarios==0.7.0 testtools==2.9.1
tomlkit==0.15.2 typing_extensions==4.16.0 tzdata==2026.6 ujson==6.1.0
urllib3==2.8.0 vine==5.1.0 voluptuous==0.16.0 wcwidth==0.9.4 WebOb==1.8.11
wrapt==2.5.2 yappi==1.7.6
""".split()

# --service NAME -> regex over the test ids. Each one reproduces exactly the
# matching ../shared/conformance/tempest47-NAME.txt list.

# --------------------------------------------------------------------------
# virtualenv


def ensure_venv(venv, recreate=False):
    venv = Path(venv)
    marker = venv / ".pocketstack-ready"
    wanted = "\n".join(REQUIREMENTS) + "\n"
    tempest_bin = venv / "bin" / "tempest"
    if (not recreate and marker.exists() and marker.read_text() == wanted
            and tempest_bin.exists()):
        return venv
    venv.parent.mkdir(parents=True, exist_ok=True)
    lock_path = venv.parent / (venv.name + ".lock")
    import fcntl
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (not recreate and marker.exists() and marker.read_text() == wanted
                and tempest_bin.exists()):
            return venv
        if venv.exists():
            log(f"removing incomplete or outdated venv {venv}")
            shutil.rmtree(venv)
        log(f"creating venv {venv} (a few minutes)")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, stdout=sys.stderr)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
        subprocess.run(pip + ["install", "-q", "--upgrade", "pip", "setuptools", "wheel"],
                       check=True, stdout=sys.stderr)
        constraints = venv / "constraints.txt"
        constraints.write_text("\n".join(CONSTRAINTS) + "\n")
        rc = subprocess.run(pip + ["install", "-q", "-c", str(constraints)] + REQUIREMENTS,
                            stdout=sys.stderr).returncode
        if rc != 0:
            log("install with pinned constraints failed; retrying without them")
            rc = subprocess.run(pip + ["install", "-q"] + REQUIREMENTS, stdout=sys.stderr).returncode
            if rc != 0:
                die("pip install of tempest and plugins failed")
        subprocess.run(pip + ["check"], check=False, stdout=sys.stderr)
        check = subprocess.run(
            [str(venv / "bin" / "python"), "-c",
             "import tempest, keystone_tempest_plugin, neutron_tempest_plugin, "
             "cinder_tempest_plugin, glance_tempest_plugin, heat_tempest_plugin, "
             "ironic_tempest_plugin, cyborg_tempest_plugin, barbican_tempest_plugin, subunit, testtools"],
            stdout=sys.stderr)
        if check.returncode != 0:
            die("tempest venv does not import its plugins")
        marker.write_text(wanted)
        log(f"venv ready: {venv}")
    return venv


