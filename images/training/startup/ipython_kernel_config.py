# gc-hub: every IPython kernel of this image loads gc_extension, so the %gc_* magics are there
# without %load_ext. (Installed as <venv>/etc/ipython/ipython_kernel_config.py and
# ipython_config.py; append, so that a user's own ~/.ipython profile may add its extensions.)
c = get_config()  # noqa: F821 (IPython provides it)
c.InteractiveShellApp.extensions.append("gc_extension")
