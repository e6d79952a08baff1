"""The Docker arguments a sandbox turns into, and the words a run's outcome turns into."""

from pathlib import Path

from services.queue import QueueName, run_queue
from services.runner import CheckedImage, Outcome, RunSpec, Sandbox, build_limits, sandbox_arguments
from services.tasks.execution import outcome_problem


def spec(entrypoint=None, **sandbox):
    return RunSpec(
        image="example/algorithm:latest",
        sandbox=Sandbox(**sandbox),
        input_dir=Path("/data/runs/x/input"),
        output_dir=Path("/data/runs/x/output"),
        name="gc-hub-algorithm-job-1",
        read_only_mounts={"/opt/ml/input/data/ground_truth/": Path("/data/gt")},
        entrypoint=entrypoint,
    )


def test_the_sandbox_is_locked_down():
    arguments = sandbox_arguments(spec(cpu_limit=1.5, memory_limit_mb=2048, output_limit_mb=10))
    assert arguments["network_mode"] == "none"
    assert arguments["cap_drop"] == ["ALL"]
    assert arguments["security_opt"] == ["no-new-privileges"]
    assert arguments["read_only"] is True
    assert arguments["mem_limit"] == arguments["memswap_limit"] == "2048m"
    assert arguments["nano_cpus"] == 1_500_000_000
    assert arguments["pids_limit"] == 256
    assert "/tmp" in arguments["tmpfs"]
    assert arguments["ulimits"][0]["Name"] == "fsize" and arguments["ulimits"][0]["Hard"] == 10 * 1024 * 1024
    mounts = {m["Target"]: m for m in arguments["mounts"]}
    assert mounts["/input"]["ReadOnly"] and not mounts["/output"]["ReadOnly"]
    assert mounts["/opt/ml/input/data/ground_truth/"]["ReadOnly"]
    environment = arguments["environment"]
    assert environment["HOME"] == "/tmp"
    assert environment["OMP_NUM_THREADS"] == environment["ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS"] == "2"
    log_config = arguments["log_config"]
    assert log_config["Type"] == "json-file" and log_config["Config"] == {"max-size": "2m", "max-file": "2"}


def test_a_gpu_is_a_device_request_only_when_asked():
    assert "device_requests" not in sandbox_arguments(spec())
    request = sandbox_arguments(spec(gpu=True))["device_requests"][0]
    assert request["Count"] == -1 and request["Capabilities"] == [["gpu"]]


def test_gpu_runs_go_to_the_gpu_queue():
    assert run_queue("algorithm-job", gpu=True) == QueueName.GPU
    assert run_queue("algorithm-job", gpu=False) == QueueName.CPU
    assert run_queue("evaluation", gpu=False) == QueueName.EVALUATION


def test_a_checked_image_runs_by_its_id_as_its_numeric_user():
    arguments = sandbox_arguments(spec(), CheckedImage("sha256:abc", "1000:100"))
    assert (arguments["image"], arguments["user"]) == ("sha256:abc", "1000:100")
    assert "entrypoint" not in arguments


def test_volumes_become_size_limited_tmpfs_unless_something_is_mounted_there():
    volumes = ("/data", "/var/cache/", "/output", "/tmp", "/opt/ml/input/data/ground_truth")
    tmpfs = sandbox_arguments(spec(tmp_size_mb=64), CheckedImage("sha256:abc", "1000:100", volumes))["tmpfs"]
    assert tmpfs == {
        "/tmp": "rw,noexec,nosuid,nodev,size=64m",
        "/data": "rw,nosuid,nodev,size=64m",
        "/var/cache": "rw,nosuid,nodev,size=64m",
    }


def test_a_helper_runs_its_own_command():
    arguments = sandbox_arguments(
        spec(entrypoint=("python", "-I", "-c", "pass")), CheckedImage("sha256:abc", "1000:100")
    )
    assert arguments["entrypoint"] == ["python", "-I", "-c", "pass"]


def test_build_steps_get_memory_and_cpus_of_the_engine():
    assert build_limits(Sandbox(cpu_limit=1.5, memory_limit_mb=2048), engine_cpus=8) == {
        "memory": 2048 << 20, "memswap": 2048 << 20, "cpusetcpus": "0-1"}  # fmt: skip
    assert build_limits(Sandbox(cpu_limit=4), engine_cpus=2)["cpusetcpus"] == "0-1"
    assert build_limits(Sandbox(cpu_limit=0.5), engine_cpus=2)["cpusetcpus"] == "0-0"


def test_outcomes_in_words():
    sandbox = Sandbox(memory_limit_mb=2048, time_limit_s=600, output_limit_mb=100)
    assert outcome_problem(Outcome(exit_code=0), sandbox) is None
    assert (
        outcome_problem(Outcome(exit_code=137, oom_killed=True), sandbox)
        == "the container ran out of memory (limit 2 GB)"
    )
    assert outcome_problem(Outcome(exit_code=137, stopped_because="time limit"), sandbox).startswith(
        "time limit of 10 minutes exceeded"
    )
    assert "100 MB allowed in /output" in outcome_problem(
        Outcome(exit_code=137, stopped_because="output limit"), sandbox
    )
    assert outcome_problem(Outcome(exit_code=3), sandbox).startswith("the container exited with code 3")
