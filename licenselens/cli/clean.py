"""``licenselens clean``: write the corpus a policy allows, deduplicated and without personal data."""

from __future__ import annotations

import sys

import click

from licenselens.cli.errors import InputError
from licenselens.cli.options import corpus_options, corpus_read_options, engine_options, policy_option
from licenselens.corpus.runner import CorpusError
from licenselens.policy.loading import PolicyError
from licenselens.privacy import MaskedConsole
from licenselens.remedy.clean import PII_MODES, CleanError, CleanOptions, run_clean
from licenselens.remedy.exclusions import ExclusionListError, read_exclusions
from licenselens.sources.manifest import ManifestError, load_manifest


@click.command("clean")
@click.argument("manifest", type=click.Path(exists=True, dir_okay=False))
@click.option("-o", "--output-dir", required=True, type=click.Path(file_okay=False), help="The cleaned corpus.")
@policy_option(" (default: the manifest's, else 'default')")
@click.option(
    "--pii",
    type=click.Choice(PII_MODES),
    default="mask",
    show_default=True,
    help="Personal data: masked as the reports mask it, replaced by synthetic surrogates of the same format "
    "(valid, from reserved ranges), or the documents holding it dropped.",
)
@click.option(
    "--exclude",
    "exclude_file",
    type=click.Path(exists=True, dir_okay=False),
    help="Documents to drop, one DATASET:DOC_ID a line (`licenselens trace` writes such a list).",
)
@click.option("--seed", default="licenselens", show_default=True, help="Seed of the synthetic surrogates.")
@engine_options
@corpus_read_options
@click.option("--fresh", is_flag=True, help="Measure every document again instead of resuming.")
def clean_command(
    manifest,
    output_dir,
    policy,
    pii,
    exclude_file,
    seed,
    engine,
    ray_address,
    jobs,
    timeout,
    shard_size,
    dedup_memory,
    max_line_bytes,
    max_file_size,
    fresh,
) -> None:
    """Write OUTDIR/data (the kept documents, in each input's format), OUTDIR/licenselens.toml (the cleaned
    manifest), removed.parquet (each document left out, with its reason) and clean-summary.json.

    Documents are dropped when excluded, opted out of text and data mining, denied by the policy, or when
    they repeat (exactly or nearly) a document kept before them in manifest order. Exit code 0 when done,
    2 when the input or options are unusable.
    """
    try:
        loaded = load_manifest(manifest)
        exclude = read_exclusions(exclude_file) if exclude_file else frozenset()
        options = CleanOptions(
            output_dir=output_dir,
            policy=policy,
            pii=pii,
            exclude=exclude,
            seed=seed,
            corpus=corpus_options(click.get_current_context().params),
        )
        run = run_clean(loaded, options)
    except (ManifestError, ExclusionListError, PolicyError, CorpusError, CleanError) as exc:
        raise InputError(str(exc)) from exc
    console = MaskedConsole(stderr=True, highlight=False)
    for d in run.summary["datasets"]:
        removed = ", ".join(f"{n} {reason}" for reason, n in d["removed"].items()) or "none removed"
        replaced = sum(d["pii_replaced"].values())
        console.print(
            f"{d['name']}: kept {d['kept']:,} of {d['documents']:,} ({removed})"
            + (
                f"; {replaced:,} items of personal data {'replaced' if pii == 'synthetic' else 'masked'}"
                if replaced
                else ""
            )
        )
    t = run.summary["totals"]
    unread = sum(t["not_documents"].values())
    console.print(
        f"kept {t['kept']:,} of {t['documents']:,} documents, {t['bytes_out'] / 1e6:.2f} of {t['bytes_in'] / 1e6:.2f} MB"
        + (f"; {unread:,} items were not documents (removed.parquet names them)" if unread else "")
    )
    exclusions = run.summary["exclusions"]
    if exclusions["listed"] > exclusions["matched"]:
        console.print(
            f"[yellow]{exclusions['listed'] - exclusions['matched']:,} of {exclusions['listed']:,} "
            "lines of the exclusion list named no document of the corpus[/yellow]"
        )
    if run.manifest_path is None:
        console.print("[yellow]no document was kept: no cleaned manifest written[/yellow]")
    wrote = [p for p in (run.manifest_path, run.removed_path, run.summary_path) if p]
    console.print("wrote " + ", ".join(wrote))
    sys.exit(0)
