"""The registry is the one list of stages, and each stage class carries all it knows."""

from __future__ import annotations

from igny8_tui.runtime import STAGES, parse_stage_result, stage_class


def test_stages_are_numbered_in_pipeline_order_with_distinct_names() -> None:
    assert [stage.number for stage in STAGES] == list(range(1, len(STAGES) + 1))
    for attribute in ("name", "short_name", "card_name"):
        names = [getattr(stage, attribute) for stage in STAGES]
        assert len(set(names)) == len(names), attribute


def test_each_result_model_counts_what_its_stage_processed_and_made() -> None:
    for stage in STAGES:
        model = stage.result_model
        assert model.PROCESSED_FIELD in model.model_fields, stage.name
        for counter, _noun in model.MADE:
            assert counter in model.model_fields, (stage.name, counter)
        result = model(**{model.PROCESSED_FIELD: 3})
        assert result.processed_count == 3
        stored = result.model_dump(mode="json")
        assert parse_stage_result(stage.number, stored) == result
        assert stage_class(stage.number).made_text(result)  # every counter the card names exists


def test_a_stage_forecasts_only_later_stages() -> None:
    from igny8_tui.automation.stages.base import PipelineRatios

    ratios = PipelineRatios(
        by_stage={s.number: 2.0 for s in STAGES if s.ratio}, min_keywords=1, basis="defaults"
    )
    for stage in STAGES:
        assert all(target > stage.number for target in stage.downstream(10, ratios))
        if stage.skipped_passes_to is not None:
            assert stage.skipped_passes_to > stage.number
