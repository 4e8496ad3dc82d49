"""Write ``data/history/demo_history.csv``: a plausible, reproducible delivery history.

48 past projects (2023–2025) of a software/IT-services company, one row per task with the
estimator's estimate and the actual person-days. Each project × role shares one overrun
ratio (lognormal around ~1.1, a heavier right tail for one project in eight, biases per
estimator and role) and each task adds a little noise of its own — the structure the
calibration model assumes, with a realistic spread: median ratio about 1.1, P90 about 1.6.

Run ``.venv/bin/python scripts/generate_demo_history.py``; the same seed gives the same file.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path

import numpy as np

OUTPUT = Path(__file__).resolve().parent.parent / "data" / "history" / "demo_history.csv"
SEED = 20_251_107
HEADER = ("项目", "任务", "阶段", "角色", "估算人", "估算人天", "实际人天", "完成日期")
ESTIMATORS = {"zhang.wei": 0.02, "li.na": 0.15, "wang.fang": -0.03, "chen.jie": 0.08}
ROLE_BIAS = {
    "PM": 0.0,
    "BA": 0.04,
    "ARCH": -0.02,
    "UI": 0.0,
    "FE": 0.03,
    "BE": 0.05,
    "QA": 0.10,
    "OPS": 0.06,
    "IMPL": 0.12,
}
# (phase label, roles working in it, task names)
PHASES = (
    ("需求调研", ("BA", "PM"), ("业务调研", "需求规格说明书", "原型评审")),
    ("设计", ("ARCH", "UI", "BA"), ("总体架构设计", "数据库设计", "界面设计", "接口设计")),
    ("开发", ("BE", "FE"), ("用户与权限", "流程引擎", "报表统计", "门户页面", "消息通知")),
    ("集成", ("BE", "OPS"), ("统一身份认证对接", "数据交换接口", "第三方支付对接")),
    ("测试", ("QA",), ("功能测试", "性能测试", "安全测试")),
    ("部署", ("OPS", "IMPL"), ("环境部署", "数据迁移", "信创适配")),
    ("培训", ("IMPL",), ("管理员培训", "用户培训")),
    ("项目管理", ("PM",), ("项目管理",)),
)
CUSTOMERS = (
    "市政务服务中心",
    "省人民医院",
    "城商银行",
    "电网公司",
    "高新区管委会",
    "市交通局",
    "职业技术学院",
    "水务集团",
    "区教育局",
    "港口集团",
    "市场监管局",
    "烟草公司",
)
SYSTEMS = (
    "一网通办平台",
    "综合业务系统",
    "数据中台",
    "移动办公系统",
    "运维监控平台",
    "客户服务系统",
    "档案管理系统",
    "智慧运营平台",
)


def generate(seed: int = SEED) -> list[tuple[object, ...]]:
    rng = np.random.default_rng(seed)
    rows: list[tuple[object, ...]] = []
    finished = date(2023, 2, 17)
    for number in range(48):
        name = f"{CUSTOMERS[number % len(CUSTOMERS)]}{SYSTEMS[(number * 5) % len(SYSTEMS)]}"
        name = f"{name}（{2023 + number // 16}-{number % 16 + 1:02d}）"
        estimator = list(ESTIMATORS)[int(rng.integers(len(ESTIMATORS)))]
        project_shift = rng.normal(0.0, 0.12) + (
            rng.normal(0.55, 0.2) if rng.random() < 0.125 else 0.0
        )
        role_ratio = {
            role: ESTIMATORS[estimator] + bias + project_shift + rng.normal(0.0, 0.18)
            for role, bias in ROLE_BIAS.items()
        }
        for phase, roles, tasks in PHASES:
            if phase in ("集成", "培训") and rng.random() < 0.3:
                continue
            for task in rng.choice(
                tasks, size=min(len(tasks), int(rng.integers(1, 3))), replace=False
            ):
                for role in roles:
                    estimate = float(np.round(rng.uniform(2.0, 30.0) * 2) / 2)
                    ratio = np.exp(role_ratio[role] + rng.normal(0.0, 0.08))
                    actual = max(0.5, float(np.round(estimate * ratio * 2) / 2))
                    rows.append(
                        (name, task, phase, role, estimator, estimate, actual, finished.isoformat())
                    )
        finished += timedelta(days=int(rng.integers(14, 30)))
    return rows


def main() -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows(generate())
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(buffer.getvalue(), encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(buffer.getvalue().splitlines()) - 1} rows)")


if __name__ == "__main__":
    main()
