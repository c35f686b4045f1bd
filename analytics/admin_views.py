"""The admins' "Tableau de bord": a page of the admin site (config/urls.py wraps it in admin_site.admin_view, which
lets staff only in), with the figures of analytics.selectors and charts drawn on the server."""

from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from analytics import selectors
from core.charts import Series, bar_chart, month_label

RECENT_MONTHS = 3
PLAN_CLASSES = ("chart-a", "chart-b", "chart-c", "chart-d", "chart-e", "chart-f")


def _net(months: list[dict]) -> list:
    return [month["net"] for month in months]


def _charts(stats: dict) -> dict:
    months = stats["months"]
    revenue = [
        bar_chart(
            title=_("Revenus nets par mois (%(currency)s)") % {"currency": total["currency"]},
            months=months,
            series=[
                Series(plan["plan"], PLAN_CLASSES[index % len(PLAN_CLASSES)], _net(plan["months"]))
                for index, plan in enumerate(
                    plan for plan in stats["revenue"]["by_plan"] if plan["currency"] == total["currency"]
                )
            ],
        )
        for total in stats["revenue"]["total"]
    ]
    members = stats["members"]["months"]
    movements = bar_chart(
        title=_("Nouveaux membres et départs par mois"),
        months=months,
        series=[
            Series(_("Nouveaux"), "chart-new", [month["new"] for month in members]),
            Series(_("Départs"), "chart-churn", [month["churned"] for month in members]),
        ],
    )
    return {"revenue": revenue, "movements": movements}


def _retention_class(share) -> str:
    """A cell's shade by tenths of the share (CSS classes: the CSP forbids inline styles)."""
    if share is None:
        return "retention-none"
    return f"retention-{min(int(share // 10), 9)}"


def dashboard_view(request):
    stats = selectors.admin_stats(user=request.user)
    cohorts = [
        {
            **cohort,
            "label": month_label(cohort["month"]),
            "cells": [{**step, "css_class": _retention_class(step["share"])} for step in cohort["retention"]],
        }
        for cohort in stats["cohorts"]
    ]
    context = {
        **admin.site.each_context(request),
        "title": _("Tableau de bord"),
        "stats": stats,
        "charts": _charts(stats),
        "recent_months": [month_label(key) for key in reversed(stats["months"][-RECENT_MONTHS:])],
        "members_months": [
            {**month, "label": month_label(month["month"])} for month in reversed(stats["members"]["months"])
        ],
        "cohorts": cohorts,
        "offsets": list(selectors.COHORT_OFFSETS),
        "revenue_tables": _revenue_tables(stats),
    }
    return TemplateResponse(request, "admin/analytics/dashboard.html", context)


def _revenue_tables(stats: dict) -> list[dict]:
    """Per currency: the rows by plan and by method, each with its last months' net (newest first) and the window's
    total (the charts show every month; a table of twelve columns would not fit a phone)."""
    tables = []
    for total in stats["revenue"]["total"]:
        currency = total["currency"]
        rows = [
            {"kind": _("Formule"), "name": plan["plan"], "months": _net(plan["months"])}
            for plan in stats["revenue"]["by_plan"]
            if plan["currency"] == currency
        ] + [
            {"kind": _("Moyen"), "name": method["label"], "months": _net(method["months"])}
            for method in stats["revenue"]["by_method"]
            if method["currency"] == currency
        ]
        rows.append({"kind": "", "name": _("Total"), "months": _net(total["months"])})
        for row in rows:
            row["sum"] = sum(row["months"])
            row["recent"] = list(reversed(row["months"][-RECENT_MONTHS:]))
        tables.append({"currency": currency, "rows": rows})
    return tables
