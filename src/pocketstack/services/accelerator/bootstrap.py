"""First start: the fake devices a Cyborg agent would report on this host, each with its deployable,
attributes (resource class and traits) and PCI attach handles (cyborg/accelerator/drivers/fake.py)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.engine import Connection

from pocketstack.core.clock import utcnow
from pocketstack.core.ids import new_uuid
from pocketstack.services.accelerator.tables import attach_handles, attributes, deployables, devices

HOST = "pocketstack"
FAKE_DEVICES: list[dict[str, Any]] = [
    {"type": "FPGA", "vendor": "0x8086", "model": "Intel PAC Arria 10", "pci": ("0000", "5e", "00", "0"),
     "std_board_info": {"device_id": "0x09c4", "class": "Processing accelerators"},
     "attributes": {"rc": "FPGA", "trait0": "CUSTOM_FPGA_INTEL", "trait1": "CUSTOM_FPGA_INTEL_PAC_ARRIA10"},
     "num_accelerators": 2, "driver_name": "intel_fpga"},
    {"type": "GPU", "vendor": "0x10de", "model": "Tesla T4", "pci": ("0000", "af", "00", "0"),
     "std_board_info": {"device_id": "0x1eb8", "class": "3D controller"},
     "attributes": {"rc": "PGPU", "trait0": "CUSTOM_GPU_NVIDIA", "trait1": "CUSTOM_GPU_PRODUCT_ID_1EB8"},
     "num_accelerators": 1, "driver_name": "nvidia_gpu"},
]


def run(conn: Connection, settings: Any, info: dict[str, Any]) -> dict[str, Any]:
    now, made = utcnow(), []
    for spec in FAKE_DEVICES:
        domain, bus, dev, fn = spec["pci"]
        device_id = conn.execute(devices.insert().values(
            uuid=new_uuid(), type=spec["type"], vendor=spec["vendor"], model=spec["model"],
            std_board_info=json.dumps(spec["std_board_info"]), vendor_board_info="fake_vendor_info",
            hostname=HOST, status="enabled", created_at=now)).inserted_primary_key[0]
        rp_uuid = new_uuid()
        dep_id = conn.execute(deployables.insert().values(
            uuid=new_uuid(), name=f"{HOST}_{domain}:{bus}:{dev}.{fn}", num_accelerators=spec["num_accelerators"],
            device_id=device_id, driver_name=spec["driver_name"], rp_uuid=rp_uuid, created_at=now)
        ).inserted_primary_key[0]
        conn.execute(deployables.update().where(deployables.c.id == dep_id).values(root_id=dep_id))
        conn.execute(attributes.insert(), [{"uuid": new_uuid(), "deployable_id": dep_id, "key": k, "value": val,
                                            "created_at": now} for k, val in spec["attributes"].items()])
        conn.execute(attach_handles.insert(), [
            {"uuid": new_uuid(), "deployable_id": dep_id, "attach_type": "PCI", "in_use": False, "created_at": now,
             "attach_info": {"domain": domain, "bus": bus, "device": dev, "function": str(int(fn) + i),
                             "physical_network": ""}}
            for i in range(spec["num_accelerators"])])
        made.append(rp_uuid)
    return {"resource_providers": made}
