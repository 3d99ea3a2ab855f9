"""Errors in the OpenAI shape, so the `openai` SDK raises its usual typed exceptions."""

from __future__ import annotations

from starlette.responses import JSONResponse


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.param, self.code = (
            status,
            message,
            type,
            param,
            code,
        )

    def response(self) -> JSONResponse:
        body = {"message": self.message, "type": self.type, "param": self.param, "code": self.code}
        return JSONResponse({"error": body}, status_code=self.status)


def bad_field(param: str, message: str) -> ApiError:
    return ApiError(400, message, param=param, code="invalid_value")


def unsupported(what: str, param: str | None = None) -> ApiError:
    return ApiError(
        400 if param else 501,
        f"{what} is not supported by Workbench's built-in model server.",
        type="invalid_request_error" if param else "not_implemented",
        param=param,
        code="unsupported_parameter" if param else "not_implemented",
    )
