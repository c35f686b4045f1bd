from django.apps import AppConfig


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = "Facturation"

    def ready(self):
        from payments.emails import confirmed_email_attachment_register
        from payments.signals import payment_confirmed, payment_refunded

        # Issued in the transaction that confirms or refunds: a rolled-back decision leaves no document and consumes
        # no number (invoicing.numbering).
        payment_confirmed.connect(_issue_invoice, dispatch_uid="invoicing.payment_confirmed")
        payment_refunded.connect(_issue_credit_note, dispatch_uid="invoicing.payment_refunded")
        confirmed_email_attachment_register(_invoice_attachment)

        from accounts.privacy import export_section_register
        from accounts.signals import member_erasing
        from invoicing.privacy import invoices_export

        # The member's data (docs/architecture/personal-data.md): their invoices and credit notes are exported; on
        # erasure the buyer is anonymised, the documents kept (10-year accounting retention).
        export_section_register(name="invoices", export=invoices_export, models=())
        member_erasing.connect(_erase_member, dispatch_uid="invoicing.member_erasing")


def _issue_invoice(sender, payment, subscription, **kwargs) -> None:
    from invoicing.services import invoice_issue

    invoice_issue(payment=payment, subscription=subscription)


def _issue_credit_note(sender, payment, refund, **kwargs) -> None:
    from invoicing.services import credit_note_issue

    credit_note_issue(refund=refund)


def _invoice_attachment(payment):
    from invoicing.selectors import invoice_attachment

    return invoice_attachment(payment=payment)


def _erase_member(sender, *, user, **kwargs) -> None:
    from invoicing.privacy import member_invoices_anonymise

    member_invoices_anonymise(user=user)
