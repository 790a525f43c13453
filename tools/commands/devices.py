"""`vinify devices`: the devices this machine can use, and the reason for each it cannot."""




def add_arguments(parser) -> None:
    pass


def run(args) -> int:
    from vinify.runtime import Core

    core = Core()
    for name in core.available_devices:
        print(f"{name}: {core.get_device(name).full_name()}")
    for name, reason in core.unavailable_devices().items():
        print(f"{name}: unavailable ({reason})")
    return 0
