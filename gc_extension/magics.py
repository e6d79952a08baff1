"""The ``%gc_*`` magics: taking part in challenges from a notebook.

Each magic parses its arguments with IPython's ``magic_arguments`` (``--help`` prints the usage),
calls ``Client`` and shows the result; expected failures (``errors.GcError``) are printed as one
line that says what to do, never as a traceback.
"""

import functools
import sys
import tempfile
from pathlib import Path

import requests
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.utils.process import arg_split

from . import leaderboard, rendering
from .client import Client
from .errors import GcError
from .progress import Display, Progress

NOTIFICATIONS_SHOWN = 5  # the newest unread ones %gc_status lists


def friendly(method):
    """Run a magic: ``--help`` prints its usage; an expected failure (a GcError, a broken
    transfer, a file that cannot be read or written) prints one line to stderr."""

    @functools.wraps(method)
    def run(self, line="", cell=None):
        if {"-h", "--help"} & set(arg_split(line)):  # before parsing: required arguments may be missing
            print(run.parser.format_help())
            return None
        args = parse_argstring(run, line)
        try:
            return method(self, args, cell) if cell is not None else method(self, args)
        except GcError as error:
            print(f"{type(error).__name__}: {error}", file=sys.stderr)
        except requests.RequestException as error:  # a transfer broke half-way
            print(
                f"ServiceUnavailable: the connection to the platform broke ({type(error).__name__});"
                " run this again (files downloaded already are skipped).",
                file=sys.stderr,
            )
        except OSError as error:  # a local file could not be read or written
            print(
                f"{type(error).__name__}: {error}. Check the path and the free space, then run this again.",
                file=sys.stderr,
            )
        return None

    return run


def unquoted(text):
    """``text`` without the quotes around it (magics keep the quotes of a quoted argument)."""
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"" else text


def comma_list(text):
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def live(render):
    """An ``on_change`` callback that redraws ``render(result)`` in one place."""
    display = Display()

    def show(result):
        display.show(render(result), final=getattr(result, "done", False))

    return show


@magics_class
class GcMagics(Magics):
    """gc-hub's magics; the Client is made on first use (so loading never fails)."""

    def __init__(self, shell=None, client=None):
        super().__init__(shell)
        self._client = client
        self.last_submission = None

    @property
    def client(self):
        if self._client is None:
            self._client = Client()
        return self._client

    @line_magic
    @magic_arguments()
    @argument("-h", "--help", action="store_true", help="show this help")
    @friendly
    def gc_challenges(self, args):
        """List the challenges with the phases you may see: what each phase takes, deadlines, and
        how many submissions you have left."""
        print(rendering.challenges_text(self.client.challenges()))

    @line_magic
    @magic_arguments()
    @argument("challenge", help="the challenge's slug, e.g. demo-challenge")
    @argument("-m", "--message", default="", help="a note to the challenge's admins")
    @argument("-h", "--help", action="store_true", help="show this help")
    @friendly
    def gc_join(self, args):
        """Join a challenge (or ask to: its admins decide)."""
        print(self.client.join(args.challenge, args.message).message)

    @line_magic
    @magic_arguments()
    @argument("challenge", help="the challenge's slug")
    @argument(
        "action",
        nargs="?",
        default="show",
        choices=["show", "create", "invite", "accept", "refuse", "leave"],
        help="show (default): the teams and my invitations; create <name>; invite <user>; accept|refuse <invitation>;"
        " leave",
    )
    @argument("what", nargs="*", help="the team's name, the user to invite, or the invitation's number")
    @argument("-h", "--help", action="store_true", help="show this help")
    @friendly
    def gc_team(self, args):
        """Take part in a challenge as a team (when it uses teams): make one, invite other
        participants, answer invitations, leave. Your team shares the phases' submission limits,
        and the leaderboard names it."""
        client, challenge, what = self.client, args.challenge, " ".join(args.what).strip()
        if args.action in ("create", "invite", "accept", "refuse") and not what:
            wanted = {"create": "the team's name", "invite": "whom to invite"}.get(
                args.action, "the invitation's number"
            )
            raise GcError(f"%gc_team {challenge} {args.action} needs {wanted}.", "See %gc_team --help.")
        if args.action == "create":
            team = client.create_team(challenge, what)
            print(f"Made team {team['name']!r} in {challenge}; invite others with %gc_team {challenge} invite <user>.")
        elif args.action == "invite":
            invitation = client.invite(challenge, what)
            print(f"Invited {invitation['username']} into team {invitation['team_name']!r}; they accept or refuse it.")
        elif args.action in ("accept", "refuse"):
            if not what.isdigit():
                raise GcError(f"{what!r} is not an invitation's number.", f"%gc_team {challenge} lists yours.")
            invitation = client.answer_invitation(int(what), args.action == "accept")
            print(f"Invitation into team {invitation['team_name']!r}: {invitation['status']}.")
        elif args.action == "leave":
            print(f"You left team {client.leave_team(challenge)!r}.")
        else:
            invitations = [i for i in client.team_invitations() if i["challenge"] == challenge]
            print(rendering.teams_text(challenge, client.teams(challenge), invitations))
        return None

    @line_magic
    @magic_arguments()
    @argument("challenge", help="the challenge's slug")
    @argument("-p", "--phase", help="the phase whose cases to fetch (default: the first you may read)")
    @argument("-t", "--to", help="folder to save into (default: data/<challenge>)")
    @argument("-h", "--help", action="store_true", help="show this help")
    @friendly
    def gc_download(self, args):
        """Download a challenge's training data: every image of the cases you may read, and
        cases.json with each case's values."""
        folder = Path(args.to or Path("data") / args.challenge)
        saved = self.client.download(args.challenge, args.phase, folder, progress=Progress)
        print(f"Saved {len(saved)} images in {folder}/ (cases.json lists the cases and their values).")
        return None

    @line_magic
    @magic_arguments()
    @argument("phase", help="<challenge>/<phase>, or the phase alone when only one of your challenges has it")
    @argument("predictions", nargs="?", help="the predictions file (e.g. a .zip of <case>.mha masks)")
    @argument("-a", "--algorithm", help="submit this algorithm instead of a file")
    @argument("-w", "--wait", action="store_true", help="follow the submission until it is evaluated")
    @argument("--method", default="", help="your method's name (when the phase asks for it)")
    @argument("--description", default="", help="how your method works (when the phase asks for it)")
    @argument("--url", default="", help="a publication or code URL, https://… (when the phase asks for it)")
    @argument("--comment", default="", help="a comment on this submission")
    @argument("--pdf", help="a supplementary PDF (when the phase asks for one)")
    @argument("-h", "--help", action="store_true", help="show this help")
    @friendly
    def gc_submit(self, args):
        """Submit a predictions file, or an algorithm, to a phase, with what the phase asks to
        know of your method."""
        if bool(args.predictions) == bool(args.algorithm):
            raise GcError(
                "Give a predictions file or --algorithm <name>, not both or neither.",
                "E.g. %gc_submit demo-challenge/predictions masks.zip",
            )
        said = {"method_name": args.method, "method_description": args.description, "url": args.url,
                "comment": args.comment}  # fmt: skip
        if args.algorithm:
            submission = self.client.submit_algorithm(args.phase, args.algorithm, said=said, supplementary=args.pdf)
        else:
            submission = self.client.submit_predictions(
                args.phase, args.predictions, progress=Progress, said=said, supplementary=args.pdf
            )
        self.last_submission = submission
        print(
            f"Submitted: submission {submission.id} to {submission.challenge}/{submission.phase}"
            f" ({submission.status}). Follow it with %gc_status {submission.id}."
        )
        if args.wait:
            return self.follow_submission(submission, None)
        return None

    @line_cell_magic
    @magic_arguments()
    @argument("action", choices=["build", "model", "models"], help="what to do: build, model (upload one), models")
    @argument("name", help="the algorithm's slug (created when new: give --inputs and --outputs)")
    @argument("model", nargs="?", help="model: the tarball of the model's files (e.g. weights.tar.gz)")
    @argument(
        "-e",
        "--entrypoint",
        help="the Python file the image runs (the cell form writes the cell to it; default predict.py)",
    )
    @argument("-f", "--files", nargs="*", default=[], help="further files the image needs (model weights, modules)")
    @argument("--inputs", help="comma-separated input sockets, for a new algorithm (e.g. ct-image)")
    @argument("--outputs", help="comma-separated output sockets, for a new algorithm (e.g. segmentation)")
    @argument("-c", "--comment", default="", help="model: a note on the model (a version, what it was trained on)")
    @argument("--no-wait", action="store_true", help="return once the build or model is queued")
    @argument("-h", "--help", action="store_true", help="show this help")
    @friendly
    def gc_algorithm(self, args, cell=None):
        """Build an algorithm's container image on the platform from this training environment's
        own image plus your files; it runs ``python <entrypoint>`` under the container contract
        (read /input, write /output). Cell form: the cell is the entrypoint.

        ``model <name> weights.tar.gz`` uploads a model (a tarball of weights) apart from the
        image: once checked it is the active model, which every new job finds read-only at
        /opt/ml/model/. ``models <name>`` lists the algorithm's models."""
        if args.action != "build":
            if cell is not None:
                raise GcError(f"%%gc_algorithm {args.action} takes no cell.", "Use the line form: %gc_algorithm ...")
            return self.algorithm_model(args) if args.action == "model" else self.algorithm_models(args)
        entrypoint = args.entrypoint or ("predict.py" if cell is not None else None)
        if entrypoint is None:
            raise GcError(
                "Say which file the image runs: --entrypoint predict.py.", "Or use the %%gc_algorithm cell form."
            )
        with tempfile.TemporaryDirectory() as folder:
            if cell is not None:
                path = Path(folder, Path(entrypoint).name)
                path.write_text(cell)
                entrypoint = str(path)
            build = self.client.build_algorithm(
                args.name,
                entrypoint,
                args.files,
                progress=Progress,
                inputs=comma_list(args.inputs),
                outputs=comma_list(args.outputs),
            )
        print(f"Building algorithm {args.name} (build {build.id}) on the platform.")
        if args.no_wait:
            return None
        self.client.wait_build(build, on_change=live(rendering.build_text))
        print(f"Algorithm {args.name} has its new image; submit it with %gc_submit <phase> --algorithm {args.name}.")
        return None

    def algorithm_model(self, args):
        if not args.model:
            raise GcError(
                "Give the model's tarball: %gc_algorithm model <algorithm> weights.tar.gz.",
                "Pack the model's files first: tar -czf weights.tar.gz -C <folder of the files> .",
            )
        model = self.client.upload_model(args.name, args.model, unquoted(args.comment), progress=Progress)
        print(f"Uploaded model {model['id']} of algorithm {args.name}; the platform checks and unpacks it.")
        if args.no_wait:
            return None
        model = self.client.wait_model(model, on_change=live(rendering.model_text))
        print(
            f"Model {model['id']} (sha256 {model['sha256']}) is the active model of {args.name}: its new jobs"
            " and submissions read it at /opt/ml/model/."
        )
        return None

    def algorithm_models(self, args):
        print(rendering.models_text(args.name, self.client.algorithm_models(args.name)))
        return None

    @line_magic
    @magic_arguments()
    @argument(
        "submission",
        nargs="?",
        type=int,
        help="the submission's id (default: your newest; admins: any in their challenges)",
    )
    @argument("--job", type=int, help="follow this algorithm job instead")
    @argument("--build", type=int, help="follow this image build instead")
    @argument("--no-wait", action="store_true", help="show the status once, without following it")
    @argument("--timeout", type=float, help="stop following after this many seconds")
    @argument("--read", action="store_true", help="mark my notifications read, after showing them")
    @argument("-h", "--help", action="store_true", help="show this help")
    @friendly
    def gc_status(self, args):
        """My unread notifications, then the live status of a submission (or --job, --build):
        state, queue position, the limits applied and the logs you may see (a challenge's
        admins: every job's and evaluation's), updating in place until it is done."""
        client = self.client
        unread = client.notifications(unread_only=True, limit=NOTIFICATIONS_SHOWN)
        count = client.unread_count() if len(unread) == NOTIFICATIONS_SHOWN else len(unread)
        print(rendering.notifications_text(unread, count))
        if args.read and count:
            client.mark_read()
            print("Marked read.")
        if args.read and args.submission is None and args.job is None and args.build is None:
            return None
        if args.job is not None:
            read, render = (lambda: client.job(args.job)), rendering.job_text
        elif args.build is not None:
            read, render = (lambda: client.build(args.build)), rendering.build_text
        else:
            first = client.find_submission(args.submission)
            return self.follow_submission(first, args.timeout, once=args.no_wait)
        if args.no_wait:
            print(render(read()))
            return None
        client.wait(read, lambda result: result.done, live(render), args.timeout)
        return None

    def follow_submission(self, submission, timeout_s, once=False):
        show = live(rendering.submission_text)
        if once:
            show(self.client.find_submission(submission.id))
            return None
        done = self.client.wait_submission(submission, on_change=show, timeout_s=timeout_s)
        show(done)
        return None

    @line_magic
    @magic_arguments()
    @argument("phase", help="<challenge>/<phase>, or the phase alone when only one of your challenges has it")
    @argument("--plot", action="store_true", help="also draw the scores as a bar chart")
    @argument("-h", "--help", action="store_true", help="show this help")
    @friendly
    def gc_leaderboard(self, args):
        """A phase's leaderboard as a pandas DataFrame (rank, user, submission, score, columns)."""
        board = self.client.leaderboard(args.phase)
        frame = leaderboard.to_dataframe(board)
        if frame.empty:
            print(leaderboard.empty_text(board))
            return None
        if args.plot:
            leaderboard.plot(frame, board)
        return frame

    @line_magic
    @magic_arguments()
    @argument("algorithm", help="the algorithm's slug")
    @argument("inputs", nargs="+", help="image files to run it on (one job each)")
    @argument("-t", "--to", help="folder for the outputs (default: outputs/<algorithm>)")
    @argument("--timeout", type=float, help="give up waiting after this many seconds")
    @argument("-h", "--help", action="store_true", help="show this help")
    @friendly
    def gc_run(self, args):
        """Run an algorithm on your own images: upload, import, one job each, and download the outputs."""
        results = self.client.run(
            args.algorithm,
            args.inputs,
            args.to,
            progress=Progress,
            on_change=live(rendering.job_text),
            timeout_s=args.timeout,
        )
        for result in results:
            saved = ", ".join(f"{socket}: {path}" for socket, path in result.outputs.items())
            print(f"{result.input.name}: job {result.job.id} {result.job.status}; {saved}")
        return None


def load(shell):
    """Register the magics with ``shell``."""
    shell.register_magics(GcMagics(shell))
