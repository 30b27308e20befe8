/// The OpenAPI 3 document of every endpoint, served at `GET /openapi.yaml`. A test keeps its paths and methods
/// equal to the router's.
enum OpenAPIDocument {
    static let yaml = #"""
        openapi: 3.0.3
        info:
          title: Tessera
          version: "1.0"
          description: |
            Tessera's HTTP API, as implemented: ETNA Trader's `POST /token` contract and `v1.0` envelope, plus logout,
            a user's sessions, introspection for resource servers, and the operational endpoints. docs/API.md has the
            prose and examples.

            Conventions that apply to every endpoint:

            - Every JSON answer is `Content-Type: application/json; charset=utf-8` with `Cache-Control: no-store` and
              `Pragma: no-cache`.
            - Header names match case-insensitively. An empty header value counts as absent. A header sent twice is
              read as both values joined by `, `, which matches no credential.
            - `Authorization` carrying a token (access token, interim token, ticket) may be `Bearer <token>`, the
              scheme in any case, or the bare token.
            - Secrets Tessera issues (access tokens, interim tokens, tickets) are 256-bit random values written as 43
              characters of unpadded base64url.
            - More than 100 header fields: `431`. A declared `Content-Length` over 65536 bytes: `413`, before the
              route runs. A chunked body that grows past 65536 bytes on an endpoint that reads a body: the same `413`.
            - A request the HTTP layer cannot parse (control characters or NUL in a header value, headers over about
              80 KB, more than 1000 header fields): `400` with an empty body, and the connection is closed.
            - An unknown path, or a known path with another method: `404` `{"error":"Not Found"}`.
            - An unexpected server error (for example the database failing): `500`
              `{"error":"Internal server error","requestId":"<id>"}`; the id is the log line's `hb.request.id`.
          license:
            name: See the repository
        tags:
          - name: Token
            description: ETNA's `POST /token` and Tessera's logout.
          - name: Users
            description: ETNA `v1.0` endpoints that need an access token.
          - name: Credentials
            description: Password expiry, PIN setup, password and PIN reset (ETNA `v1.0`).
          - name: Sessions
            description: A signed-in user's sessions (Tessera extension).
          - name: Introspection
            description: RFC 7662 introspection for resource servers (Tessera extension).
          - name: Operations
            description: Health, readiness, metrics and this document.
        paths:
          /token:
            post:
              tags: [Token]
              operationId: postToken
              summary: Exchange credentials for an access token, in one or more steps
              description: |
                There is no body; a body, if sent, is ignored (but a declared `Content-Length` over 65536 bytes is
                refused with `413`). Everything is in headers.

                Steps run in order: `BaseAuthentication` (Username, Password), `VerificationCode` (when the user has
                2-FA or the company requires it), `SecutityPin` (when the company requires a PIN; ETNA's spelling).
                One request runs as many steps as its headers allow and stops at the first step whose input is
                missing, answering `202` with an interim token to send back in `Authorization`.

                When `Authorization` is present, the request continues that login transaction; `Username` and
                `Password`, if resent, must match it.
              security:
                - EtAppKey: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - name: Username
                  in: header
                  required: false
                  description: |
                    The login name, on the first request (resending it later is allowed and checked against the
                    transaction). UTF-8; normalised to NFC, trimmed and matched case-insensitively within the app
                    key's company. Over 256 bytes it never matches (`Invalid credentials`).
                  schema:
                    type: string
                - name: Password
                  in: header
                  required: false
                  description: |
                    The password, on the first request (resending it later is allowed; another password ends the
                    transaction with `Invalid credentials`). Compared exactly, without trimming.
                  schema:
                    type: string
                - name: VerificationCode
                  in: header
                  required: false
                  description: |
                    The 6-digit code sent by email or SMS, at step `VerificationCode`. Always belongs to a transaction:
                    sent without `Authorization` it is answered `401` `Corrupted ticket`. Without it, a request with the
                    interim token at this step asks for a resend (at most one code every 60 s).
                  schema:
                    type: string
                - name: PinCode
                  in: header
                  required: false
                  description: The user's security PIN, at step `SecutityPin`. Ignored when the company does not require PINs.
                  schema:
                    type: string
                - name: Authorization
                  in: header
                  required: false
                  description: |
                    The interim token of a previous `202`, as `Bearer <token>` (scheme in any case) or the bare token.
                    Tickets (password-change, pin-setup, reset) are not interim tokens and get `Corrupted ticket`.
                  schema:
                    type: string
                - name: User-Agent
                  in: header
                  required: false
                  description: Recorded with the access token a successful login issues (the session's `UserAgent`, cut to 200 characters).
                  schema:
                    type: string
                - $ref: '#/components/parameters/XForwardedFor'
              responses:
                '200':
                  description: Every required step passed. `Token` is the access token.
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/TokenSucceeded'
                      example:
                        State: Succeeded
                        Token: Kf7GDGClOyf8KgroUMw0deHnvVEQMZ-FYiF5Setzijg
                '202':
                  description: |
                    More is needed. The Step/Reason pairs are:

                    - `VerificationCode` + `Expecting confirmation code` (a code was sent by email or SMS),
                      `Expecting authenticator code` (the user has an authenticator app; nothing was sent) or
                      `Invalid verification code` (tries left); `Token` is the interim token.
                    - `SecutityPin` + `Expecting pin code` or `Invalid pin` (tries left); `Token` is the interim token,
                      and `SecurityImage` is present when the user chose a security image.
                    - `SecutityPin` + `PIN code is not init`: `Token` is a pin-setup ticket (for
                      `GET /v1.0/assets/security-images` and `POST /v1.0/users/pincode/change`); the transaction ends.
                    - `BaseAuthentication` + `Your Password has expired and must be changed`: `Token` is a
                      password-change ticket (for `PUT /v1.0/users/passwords/reset`).
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/TokenExpecting'
                      examples:
                        code:
                          value:
                            State: Expecting
                            Step: VerificationCode
                            Reason: Expecting confirmation code
                            Token: ZdDbI1ssXWEf3WHNVIzZdhEVLSSh2qbiBG1P0gjbgcs
                        pin:
                          value:
                            State: Expecting
                            Step: SecutityPin
                            Reason: Expecting pin code
                            Token: ZdDbI1ssXWEf3WHNVIzZdhEVLSSh2qbiBG1P0gjbgcs
                            SecurityImage:
                              FileName: green-triangle.png
                              Content: iVBORw0KGgoAAAANSUhEUgAAADAAAAAwCAIAAADY
                              PersonalPhrase: blue skies
                '400':
                  $ref: '#/components/responses/ParseError'
                '401':
                  description: |
                    Either the login failed (`{State, Step, Reason}`), or `Et-App-Key` is missing, unknown or revoked
                    (`{"error":"Application key is not defined or does not exist"}`).

                    The Step/Reason pairs of a failed login are:

                    - `BaseAuthentication` + `Invalid credentials`: wrong or missing username or password, unknown or
                      disabled user, a resent password that differs, a throttled or locked account.
                    - `VerificationCode` + `Invalid verification code`: the 5th wrong code; the transaction ends.
                    - `SecutityPin` + `Invalid pin`: the 5th wrong PIN; the transaction ends.
                    - `VerificationCode` + `No channel to send the verification code` (Tessera extension).
                    - any step + `Corrupted ticket`: the interim token is missing, unknown, expired, spent, for another
                      app key, over 4096 bytes, or a ticket; or a resent `Username` is not the transaction's user.
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        oneOf:
                          - $ref: '#/components/schemas/TokenFailed'
                          - $ref: '#/components/schemas/AppKeyError'
                      examples:
                        invalidCredentials:
                          value:
                            State: Failed
                            Step: BaseAuthentication
                            Reason: Invalid credentials
                        appKey:
                          value:
                            error: Application key is not defined or does not exist
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '429':
                  description: |
                    The client address failed too often across accounts (layer 3 of throttling). Nothing was checked.
                  headers:
                    Retry-After:
                      $ref: '#/components/headers/RetryAfter'
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/TokenThrottled'
                      example:
                        State: Failed
                        Step: BaseAuthentication
                        Reason: Too many attempts
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  description: |
                    The verification code could not be handed to its channel (SMTP server or SMS webhook down, slow or
                    refusing, every sending slot busy), or the server has no channel for it (`Retry-After: 5`, and
                    `Token`: the interim token to retry with; no code counts as sent); or every password-hashing slot
                    stayed busy for 2 s (`Retry-After: 2`); or the database does not answer (`Retry-After: 5`,
                    `{"error": "The service is temporarily unavailable; try again"}`). None counts as a failed attempt.
                  headers:
                    Retry-After:
                      $ref: '#/components/headers/RetryAfter'
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/TokenUnavailableError'
                      examples:
                        delivery:
                          value:
                            error: The verification code could not be sent; try again
                            Token: 3q2-7wEAAQ8x2Xq1m2kWcQbn1oV4YF9a0r7Cq3yPpLs
                        busy:
                          value:
                            error: The service is busy; try again
            delete:
              tags: [Token]
              operationId: deleteToken
              summary: Log out an access token
              description: |
                Revokes the access token in `Authorization` if it is an access token of the app key's company (any live
                app key of that company will do). In the spirit of RFC 7009 the answer is `204` whether or not there
                was anything to end: an unknown, revoked, expired, interim or ticket token, another company's token, a
                token over 4096 bytes, or no token at all changes nothing. There is no body.
              security:
                - EtAppKey: []
                  BearerAuth: []
                - EtAppKey: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - name: Authorization
                  in: header
                  required: false
                  description: The access token to end, as `Bearer <token>` (scheme in any case) or the bare token.
                  schema:
                    type: string
                - $ref: '#/components/parameters/XForwardedFor'
              responses:
                '204':
                  description: Done (or nothing to do). No body.
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                '400':
                  $ref: '#/components/responses/ParseError'
                '401':
                  $ref: '#/components/responses/AppKeyRefused'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/DatabaseUnavailable'
          /token/introspect:
            post:
              tags: [Introspection]
              operationId: introspectToken
              summary: Tell a resource server whether a token is active (RFC 7662)
              description: |
                Only for a resource server: an app key created with `tessera app create --introspect`, authenticated
                with HTTP Basic (the key as user name, the secret as password). `Et-App-Key` is not read. The
                credentials are checked before the body is read. A resource server sees only tokens of its own
                company. Calls are neither audited nor counted, and do not update a session's `LastSeen`.

                The body is read as JSON only when `Content-Type` starts with `application/json`; any other body is
                read as a form. The field is `token`, in lower case; other fields (such as `token_type_hint`) are
                ignored. A missing body or field gives `{"active":false}`.
              security:
                - IntrospectionBasic: []
              parameters:
                - name: Authorization
                  in: header
                  required: true
                  description: '`Basic base64(<resource server key>:<secret>)`.'
                  schema:
                    type: string
              requestBody:
                required: false
                content:
                  application/x-www-form-urlencoded:
                    schema:
                      $ref: '#/components/schemas/IntrospectionRequest'
                  application/json:
                    schema:
                      $ref: '#/components/schemas/IntrospectionRequest'
              responses:
                '200':
                  description: |
                    `{"active":false}` and nothing else for every token that would not open Tessera's own API right now
                    (unknown, expired, revoked, an interim token, any ticket, another company's token, a disabled
                    user's, empty, missing or over 4096 bytes); otherwise the active token's details.
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        oneOf:
                          - $ref: '#/components/schemas/IntrospectionInactive'
                          - $ref: '#/components/schemas/IntrospectionActive'
                      examples:
                        active:
                          value:
                            active: true
                            sub: '1'
                            username: alice
                            company: acme
                            client_id: web
                            exp: 1796003909
                            iat: 1795917509
                            sid: 87672c24019d92c036407b1d
                            token_type: Bearer
                        inactive:
                          value:
                            active: false
                '400':
                  $ref: '#/components/responses/ParseError'
                '401':
                  description: |
                    A missing or malformed `Authorization: Basic`, an unknown or revoked key, a key that is not a
                    resource server, or a wrong secret.
                  headers:
                    WWW-Authenticate:
                      $ref: '#/components/headers/WWWAuthenticate'
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/InvalidClientError'
                      example:
                        error: invalid_client
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/DatabaseUnavailable'
          /v1.0/users/@me/info:
            get:
              tags: [Users]
              operationId: getUserInfo
              summary: The user behind an access token
              description: The app key is checked first, then the access token. Interim tokens and tickets are refused.
              security:
                - EtAppKey: []
                  BearerAuth: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - $ref: '#/components/parameters/BearerAuthorization'
              responses:
                '200':
                  description: The user, in ETNA's envelope.
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/UserInfoEnvelope'
                      example:
                        Model:
                          UserId: 1
                          FirstName: Demo
                          MiddleName: null
                          LastName: Trader
                          Login: demo
                          Email: demo@example.com
                          AddedDate: '2026-11-29T01:15:34Z'
                          Salutation: null
                          Suffix: null
                        Errors: []
                        ErrorsCode: []
                        IsSucceed: true
                '400':
                  $ref: '#/components/responses/ParseError'
                '401':
                  $ref: '#/components/responses/AccessTokenRefused'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/DatabaseUnavailable'
          /v1.0/users/@me/password/change:
            put:
              tags: [Credentials]
              operationId: changePassword
              summary: A signed-in user changes their password
              description: |
                Checks, in order, the first failing one answering: the app key (`401`), the access token (`401`
                `Unauthorized`), missing fields (`400` `ModelState`), `OldPassword` (`400` `ErrorIncorrectPassword`;
                counted like a failed login, and given whatever the old password while the account or address is over
                its limits), the password rules (`400`, every broken rule), then `ErrorPasswordSameAsCurrent`.

                On success the token that made the call keeps working; by default every other access token of the user
                is revoked.
              security:
                - EtAppKey: []
                  BearerAuth: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - $ref: '#/components/parameters/BearerAuthorization'
                - $ref: '#/components/parameters/XForwardedFor'
              requestBody:
                required: true
                description: |
                  One JSON object; `Content-Type` is not checked. Field names match case-insensitively, unknown fields
                  are ignored, and a field counts only when it is a non-empty JSON string.
                content:
                  application/json:
                    schema:
                      $ref: '#/components/schemas/PasswordChangeRequest'
              responses:
                '200':
                  $ref: '#/components/responses/EmptySuccess'
                '400':
                  description: |
                    Missing fields in `ModelState` (members among `model.OldPassword`, `model.Password`,
                    `model.PasswordConfirm`), or a refusal in the envelope. (A request the HTTP layer cannot parse also
                    gets `400`, with an empty body.)
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        oneOf:
                          - $ref: '#/components/schemas/ModelState'
                          - $ref: '#/components/schemas/PasswordChangeRefusal'
                      examples:
                        missing:
                          value:
                            Message: The request is invalid.
                            ModelState:
                              model.Password: [The Password field is required.]
                              model.PasswordConfirm: [The PasswordConfirm field is required.]
                        incorrect:
                          value:
                            Model: null
                            Errors: [The current password is incorrect.]
                            ErrorsCode: [ErrorIncorrectPassword]
                            IsSucceed: false
                '401':
                  $ref: '#/components/responses/AccessTokenRefused'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/Busy'
          /v1.0/users/@me/totp:
            post:
              tags: [Users]
              operationId: beginAuthenticatorEnrolment
              summary: Start enrolling an authenticator app (TOTP) for the signed-in user
              description: |
                Draws a new secret (160 bits), keeps it encrypted as the user's *pending* enrolment (replacing an earlier
                pending one) and returns it once: `Model.Url` is the `otpauth://` URL for a QR code, `Model.Secret` the
                same secret in base32 for typing in. Nothing changes for the login until
                `POST /v1.0/users/@me/totp/confirm` proves the app holds the secret. A body, if sent, is ignored.
              security:
                - EtAppKey: []
                  BearerAuth: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - $ref: '#/components/parameters/BearerAuthorization'
                - $ref: '#/components/parameters/XForwardedFor'
              responses:
                '200':
                  description: The new pending secret, in ETNA's envelope.
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/AuthenticatorEnrolmentEnvelope'
                      example:
                        Model:
                          Url: otpauth://totp/acme:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=acme&algorithm=SHA1&digits=6&period=30
                          Secret: JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
                        Errors: []
                        ErrorsCode: []
                        IsSucceed: true
                '400':
                  $ref: '#/components/responses/ParseError'
                '401':
                  $ref: '#/components/responses/AccessTokenRefused'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/DatabaseUnavailable'
          /v1.0/users/@me/totp/confirm:
            post:
              tags: [Users]
              operationId: confirmAuthenticatorEnrolment
              summary: Confirm the pending authenticator with its first code
              description: |
                `Code` must be the pending secret's code for now (±30 s). Then the secret becomes the user's second
                factor (method `totp`): later logins answer `202` `Expecting authenticator code` and send nothing. The
                code's time step is spent, so the same code does not also open a login.
              security:
                - EtAppKey: []
                  BearerAuth: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - $ref: '#/components/parameters/BearerAuthorization'
                - $ref: '#/components/parameters/XForwardedFor'
              requestBody:
                required: true
                description: |
                  One JSON object; `Content-Type` is not checked. Field names match case-insensitively, unknown fields
                  are ignored, and a field counts only when it is a non-empty JSON string.
                content:
                  application/json:
                    schema:
                      $ref: '#/components/schemas/AuthenticatorConfirmRequest'
              responses:
                '200':
                  $ref: '#/components/responses/EmptySuccess'
                '400':
                  description: |
                    `Code` missing (`ModelState`), no pending enrolment (`ErrorNoPendingEnrolment`), or a code that is
                    not the pending secret's code now (`ErrorInvalidCode`). (A request the HTTP layer cannot parse also
                    gets `400`, with an empty body.)
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        oneOf:
                          - $ref: '#/components/schemas/ModelState'
                          - $ref: '#/components/schemas/AuthenticatorRefusal'
                      examples:
                        missing:
                          value:
                            Message: The request is invalid.
                            ModelState:
                              model.Code: [The Code field is required.]
                        wrong:
                          value:
                            Model: null
                            Errors: [The code is invalid or expired.]
                            ErrorsCode: [ErrorInvalidCode]
                            IsSucceed: false
                '401':
                  $ref: '#/components/responses/AccessTokenRefused'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/DatabaseUnavailable'
          /v1.0/users/@me/sessions:
            get:
              tags: [Sessions]
              operationId: listSessions
              summary: The user's live sessions
              description: |
                The live (unexpired, unrevoked) sessions of the user behind the access token, newest first, from every
                app key of the company.
              security:
                - EtAppKey: []
                  BearerAuth: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - $ref: '#/components/parameters/BearerAuthorization'
              responses:
                '200':
                  description: The sessions, in ETNA's envelope.
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/SessionsEnvelope'
                      example:
                        Model:
                          - Id: 87672c24019d92c036407b1d
                            AppName: web
                            Created: '2026-11-29T01:58:29Z'
                            LastSeen: '2026-11-29T01:58:29Z'
                            Expires: '2026-11-30T01:58:29Z'
                            ClientAddress: 127.0.0.1
                            UserAgent: TraderDesk/3.2
                            Current: true
                        Errors: []
                        ErrorsCode: []
                        IsSucceed: true
                '400':
                  $ref: '#/components/responses/ParseError'
                '401':
                  $ref: '#/components/responses/AccessTokenRefused'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/DatabaseUnavailable'
            delete:
              tags: [Sessions]
              operationId: endOtherSessions
              summary: End every session of the user but the current one
              security:
                - EtAppKey: []
                  BearerAuth: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - $ref: '#/components/parameters/BearerAuthorization'
                - $ref: '#/components/parameters/XForwardedFor'
              responses:
                '200':
                  description: '`Model` is the number of sessions ended (possibly 0).'
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/CountEnvelope'
                      example:
                        Model: 2
                        Errors: []
                        ErrorsCode: []
                        IsSucceed: true
                '400':
                  $ref: '#/components/responses/ParseError'
                '401':
                  $ref: '#/components/responses/AccessTokenRefused'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/DatabaseUnavailable'
          /v1.0/users/@me/sessions/{id}:
            delete:
              tags: [Sessions]
              operationId: endSession
              summary: End one live session of the user
              description: The session may be the current one, which is then logged out.
              security:
                - EtAppKey: []
                  BearerAuth: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - $ref: '#/components/parameters/BearerAuthorization'
                - $ref: '#/components/parameters/XForwardedFor'
                - name: id
                  in: path
                  required: true
                  description: The session's `Id`, as listed by `GET /v1.0/users/@me/sessions` (24 hex digits).
                  schema:
                    type: string
              responses:
                '200':
                  $ref: '#/components/responses/EmptySuccess'
                '400':
                  $ref: '#/components/responses/ParseError'
                '401':
                  $ref: '#/components/responses/AccessTokenRefused'
                '404':
                  description: No live session of this user has that id (unknown, already ended, expired, or another user's).
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/SessionNotFoundEnvelope'
                      example:
                        Model: null
                        Errors: [No such live session.]
                        ErrorsCode: [ErrorSessionNotFound]
                        IsSucceed: false
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/DatabaseUnavailable'
          /v1.0/users/passwords/reset:
            put:
              tags: [Credentials]
              operationId: resetPassword
              summary: Set a new password with a password-change or reset-password ticket
              description: |
                Checks, in order, the first failing one answering: the app key (`401`, before the body is read),
                missing fields (`400` `ModelState`; never spends the ticket), the ticket (`401` `ErrorInvalidToken`),
                the password rules (`400`, every broken rule), then `ErrorPasswordSameAsCurrent` (`400`).

                On success the ticket is spent, the password is stored and, by default, every access token of the
                user is revoked.
              security:
                - EtAppKey: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - $ref: '#/components/parameters/XForwardedFor'
              requestBody:
                required: true
                description: |
                  One JSON object; `Content-Type` is not checked. Field names match case-insensitively, unknown fields
                  are ignored, and a field counts only when it is a non-empty JSON string.
                content:
                  application/json:
                    schema:
                      $ref: '#/components/schemas/PasswordResetRequest'
              responses:
                '200':
                  $ref: '#/components/responses/EmptySuccess'
                '400':
                  description: |
                    Missing fields in `ModelState` (members among `model.Token`, `model.Password`,
                    `model.PasswordConfirmation`), or broken password rules in the envelope. (A request the HTTP layer
                    cannot parse also gets `400`, with an empty body.)
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        oneOf:
                          - $ref: '#/components/schemas/ModelState'
                          - $ref: '#/components/schemas/PasswordRulesRefusal'
                      examples:
                        missing:
                          value:
                            Message: The request is invalid.
                            ModelState:
                              model.Password: [The Password field is required.]
                              model.PasswordConfirmation: [The PasswordConfirmation field is required.]
                        rules:
                          value:
                            Model: null
                            Errors:
                              - The password and its confirmation do not match.
                              - The password must have at least 12 characters.
                              - The password must not be the username.
                            ErrorsCode: [ErrorPasswordsDoNotMatch, ErrorPasswordTooShort, ErrorPasswordEqualsUsername]
                            IsSucceed: false
                '401':
                  $ref: '#/components/responses/TicketRefused'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/Busy'
          /v1.0/assets/security-images:
            get:
              tags: [Credentials]
              operationId: listSecurityImages
              summary: The security images a user can choose with their PIN
              description: |
                Needs a pin-setup or reset-pin ticket in `Authorization` (`Bearer <ticket>` or the bare ticket). An
                access token is not accepted. The ticket is not spent.
              security:
                - EtAppKey: []
                  TicketBearer: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - name: Authorization
                  in: header
                  required: true
                  description: A pin-setup or reset-pin ticket, as `Bearer <ticket>` (scheme in any case) or the bare ticket.
                  schema:
                    type: string
                - $ref: '#/components/parameters/XForwardedFor'
              responses:
                '200':
                  description: The eight images (48×48 PNGs, base64), in a fixed order.
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/SecurityImagesEnvelope'
                '400':
                  $ref: '#/components/responses/ParseError'
                '401':
                  $ref: '#/components/responses/TicketRefused'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/DatabaseUnavailable'
          /v1.0/users/pincode/change:
            post:
              tags: [Credentials]
              operationId: changePin
              summary: Set the user's PIN (and security image and phrase) with a pin-setup or reset-pin ticket
              description: |
                Checks, in order, the first failing one answering: the app key (`401`, before the body is read),
                missing fields (`400` `ModelState`), the ticket (`401` `ErrorInvalidToken`), `Pin` (`ErrorInvalidPin`),
                `ImageName` (`ErrorUnknownImage`), `PersonalPhrase` (`ErrorPhraseTooLong`). No refusal spends the
                ticket.

                On success the ticket is spent, the PIN, image and phrase replace any earlier ones (no `ImageName`
                leaves the user without an image) and, by default, every access token of the user is revoked.
              security:
                - EtAppKey: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - $ref: '#/components/parameters/XForwardedFor'
              requestBody:
                required: true
                description: |
                  One JSON object; `Content-Type` is not checked. Field names match case-insensitively, unknown fields
                  are ignored, and a field counts only when it is a non-empty JSON string (`"Pin": 1234` is missing).
                content:
                  application/json:
                    schema:
                      $ref: '#/components/schemas/PinChangeRequest'
              responses:
                '200':
                  $ref: '#/components/responses/EmptySuccess'
                '400':
                  description: |
                    Missing fields in `ModelState` (members among `model.Token`, `model.Pin`), or a refusal in the
                    envelope. (A request the HTTP layer cannot parse also gets `400`, with an empty body.)
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        oneOf:
                          - $ref: '#/components/schemas/ModelState'
                          - $ref: '#/components/schemas/PinRefusal'
                      examples:
                        missing:
                          value:
                            Message: The request is invalid.
                            ModelState:
                              model.Pin: [The Pin field is required.]
                        invalidPin:
                          value:
                            Model: null
                            Errors: [A PIN is 4 to 12 digits.]
                            ErrorsCode: [ErrorInvalidPin]
                            IsSucceed: false
                '401':
                  $ref: '#/components/responses/TicketRefused'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/DatabaseUnavailable'
          /v1.0/users/password/secret-question:
            get:
              tags: [Credentials]
              operationId: getSecretQuestion
              summary: The user's secret question, or an empty string
              description: |
                `Model` is the question, or `""` for a user without a question, an unknown user or a disabled user.
                The username is matched as on `/token` (NFC, trimmed, case-insensitive) within the app key's company.
              security:
                - EtAppKey: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - name: username
                  in: query
                  required: true
                  description: The username. Spelled in lower case exactly (`UserName=` is not read). Missing or empty gives `400` `ModelState`.
                  schema:
                    type: string
              responses:
                '200':
                  description: The question, or `""`.
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/StringEnvelope'
                      example:
                        Model: Name of your first pet?
                        Errors: []
                        ErrorsCode: []
                        IsSucceed: true
                '400':
                  description: |
                    `username` is missing or empty: `ModelState` with the single member `model.username`. (A request the
                    HTTP layer cannot parse also gets `400`, with an empty body.)
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/ModelState'
                      example:
                        Message: The request is invalid.
                        ModelState:
                          model.username: [The username field is required.]
                '401':
                  $ref: '#/components/responses/AppKeyRefused'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/DatabaseUnavailable'
          /v1.0/users/password/reset:
            post:
              tags: [Credentials]
              operationId: requestPasswordReset
              summary: Send a reset code to the user
              description: |
                The same `200` for a known user with the right answer (or no question), an unknown or disabled user, a
                user with no email and no phone, a code sent less than 60 s ago (nothing is sent), and a code that
                could not be delivered. The code (6 digits, 15 minutes) goes by email, else by SMS.

                A user with a question and a wrong or missing `SecretQuestionAnswer` gets `400` `ErrorIncorrectAnswer`,
                counted like a failed login; while the account or address is over its limits the answer is the same
                whatever was sent. Never `429`.
              security:
                - EtAppKey: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - $ref: '#/components/parameters/XForwardedFor'
              requestBody:
                required: true
                description: |
                  One JSON object; `Content-Type` is not checked. Field names match case-insensitively, unknown fields
                  are ignored, and a field counts only when it is a non-empty JSON string.
                content:
                  application/json:
                    schema:
                      $ref: '#/components/schemas/PasswordResetCodeRequest'
              responses:
                '200':
                  $ref: '#/components/responses/EmptySuccess'
                '400':
                  description: |
                    `User` is missing (`ModelState` with the single member `model.User`), or the answer to the secret
                    question is incorrect. (A request the HTTP layer cannot parse also gets `400`, with an empty body.)
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        oneOf:
                          - $ref: '#/components/schemas/ModelState'
                          - $ref: '#/components/schemas/IncorrectAnswerRefusal'
                      examples:
                        missing:
                          value:
                            Message: The request is invalid.
                            ModelState:
                              model.User: [The User field is required.]
                        incorrect:
                          value:
                            Model: null
                            Errors: [The answer to the secret question is incorrect.]
                            ErrorsCode: [ErrorIncorrectAnswer]
                            IsSucceed: false
                '401':
                  $ref: '#/components/responses/AppKeyRefused'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/DatabaseUnavailable'
          /v1.0/users/identifiers/reset/code:
            post:
              tags: [Credentials]
              operationId: redeemResetCode
              summary: Trade a reset code for a reset-password or reset-pin ticket
              description: |
                `Identifier` is checked first (not a try), then the code. One client address gets 5 wrong codes per
                company in any 15 minutes, and none once over its `/token` budget; after that every code, even a right
                one, gets `ErrorInvalidCode`. Never `429`. The ticket in `Model` lives 10 minutes and is bound to this
                app key.
              security:
                - EtAppKey: []
              parameters:
                - $ref: '#/components/parameters/EtAppKey'
                - $ref: '#/components/parameters/XForwardedFor'
              requestBody:
                required: true
                description: |
                  One JSON object; `Content-Type` is not checked. Field names match case-insensitively, unknown fields
                  are ignored, and a field counts only when it is a non-empty JSON string.
                content:
                  application/json:
                    schema:
                      $ref: '#/components/schemas/ResetCodeRedeemRequest'
              responses:
                '200':
                  description: '`Model` is the ticket.'
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/TicketEnvelope'
                      example:
                        Model: llkvoz2-Ny7P-yHtnb9OfiiKGqL7aa3Yw3-0KVtO7Uk
                        Errors: []
                        ErrorsCode: []
                        IsSucceed: true
                '400':
                  description: |
                    Missing fields in `ModelState` (members among `model.Code`, `model.Identifier`), or a refusal in the
                    envelope. (A request the HTTP layer cannot parse also gets `400`, with an empty body.)
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        oneOf:
                          - $ref: '#/components/schemas/ModelState'
                          - $ref: '#/components/schemas/ResetCodeRefusal'
                      examples:
                        invalidCode:
                          value:
                            Model: null
                            Errors: [The code is invalid or expired.]
                            ErrorsCode: [ErrorInvalidCode]
                            IsSucceed: false
                        invalidIdentifier:
                          value:
                            Model: null
                            Errors: [Identifier must be ResetPassword or ResetPinCode.]
                            ErrorsCode: [ErrorInvalidIdentifier]
                            IsSucceed: false
                '401':
                  $ref: '#/components/responses/AppKeyRefused'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '500':
                  $ref: '#/components/responses/InternalError'
                '503':
                  $ref: '#/components/responses/DatabaseUnavailable'
          /healthz:
            get:
              tags: [Operations]
              operationId: getHealth
              summary: Whether the process answers
              security: []
              responses:
                '200':
                  description: The process answers.
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/HealthStatus'
                      example:
                        status: ok
                '400':
                  $ref: '#/components/responses/ParseError'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
          /readyz:
            get:
              tags: [Operations]
              operationId: getReadiness
              summary: Whether the database answers too
              security: []
              responses:
                '200':
                  description: Ready.
                  headers:
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/ReadyStatus'
                      example:
                        status: ready
                '400':
                  $ref: '#/components/responses/ParseError'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
                '503':
                  description: The database does not answer.
                  headers:
                    Retry-After:
                      $ref: '#/components/headers/RetryAfter'
                    Cache-Control:
                      $ref: '#/components/headers/CacheControl'
                    Pragma:
                      $ref: '#/components/headers/Pragma'
                  content:
                    application/json:
                      schema:
                        $ref: '#/components/schemas/NotReadyError'
                      example:
                        error: The database does not answer
          /metrics:
            get:
              tags: [Operations]
              operationId: getMetrics
              summary: Prometheus metrics
              description: |
                The Prometheus text exposition format, version 0.0.4 (`Content-Type: text/plain; version=0.0.4;
                charset=utf-8`). Labels are low-cardinality only: no user, app or address.
              security: []
              responses:
                '200':
                  description: The metrics.
                  content:
                    text/plain:
                      schema:
                        type: string
                      example: |
                        # TYPE tessera_http_requests_total counter
                        tessera_http_requests_total{route="/token",method="POST",status="200"} 1
                '400':
                  $ref: '#/components/responses/ParseError'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
          /openapi.yaml:
            get:
              tags: [Operations]
              operationId: getOpenAPIDocument
              summary: This document
              security: []
              responses:
                '200':
                  description: The OpenAPI 3 document of every endpoint, in YAML.
                  content:
                    application/yaml:
                      schema:
                        type: string
                '400':
                  $ref: '#/components/responses/ParseError'
                '413':
                  $ref: '#/components/responses/PayloadTooLarge'
                '431':
                  $ref: '#/components/responses/TooManyHeaderFields'
        components:
          securitySchemes:
            EtAppKey:
              type: apiKey
              in: header
              name: Et-App-Key
              description: |
                The app's key; identifies the app and, through it, the company. Missing, unknown or revoked:
                `401` `{"error":"Application key is not defined or does not exist"}`. Checked first, before a body is
                read.
            BearerAuth:
              type: http
              scheme: bearer
              description: |
                An access token from `POST /token`, as `Bearer <token>` (scheme in any case) or the bare token. It opens
                the API with any live app key of the company that issued it.
            TicketBearer:
              type: http
              scheme: bearer
              description: A pin-setup or reset-pin ticket, as `Bearer <ticket>` (scheme in any case) or the bare ticket.
            IntrospectionBasic:
              type: http
              scheme: basic
              description: A resource server's app key (`tessera app create --introspect`) as user name, its secret as password.
          parameters:
            EtAppKey:
              name: Et-App-Key
              in: header
              required: true
              description: The app's key. Missing, unknown, revoked or over 4096 bytes gives `401` with the app-key error.
              schema:
                type: string
            BearerAuthorization:
              name: Authorization
              in: header
              required: true
              description: |
                An access token, as `Bearer <token>` (scheme in any case) or the bare token. Missing, unknown, expired or
                revoked tokens, interim tokens, tickets, another company's tokens and a disabled user's tokens get `401`
                `Unauthorized`.
              schema:
                type: string
            XForwardedFor:
              name: X-Forwarded-For
              in: header
              required: false
              description: |
                Honoured only when the TCP peer is a proxy listed with `tessera serve --trusted-proxy`. The list is
                read from the right, and the first hop that is not itself a trusted proxy is the client address
                (used for throttling, audit and a session's `ClientAddress`). A missing header or an entry that is not
                a bare IP address leaves the proxy's own address. From any other peer the header is ignored.
              schema:
                type: string
          headers:
            CacheControl:
              description: Always `no-store`.
              schema:
                type: string
                enum: [no-store]
            Pragma:
              description: Always `no-cache`.
              schema:
                type: string
                enum: [no-cache]
            RetryAfter:
              description: Whole seconds to wait before trying again (at least 1).
              schema:
                type: integer
                minimum: 1
            WWWAuthenticate:
              description: The Basic challenge.
              schema:
                type: string
                enum: ['Basic realm="tessera"']
          responses:
            ParseError:
              description: |
                The HTTP layer could not parse the request (control characters or NUL in a header value, headers over
                about 80 KB in total, more than 1000 header fields). The body is empty and the connection is closed.
            PayloadTooLarge:
              description: |
                A declared `Content-Length` over 65536 bytes (refused before the route runs), or a chunked body that
                grows past 65536 bytes on an endpoint that reads a body.
              headers:
                Cache-Control:
                  $ref: '#/components/headers/CacheControl'
                Pragma:
                  $ref: '#/components/headers/Pragma'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/BodyTooLargeError'
                  example:
                    error: The body is larger than 65536 bytes
            TooManyHeaderFields:
              description: 101 to 1000 header fields.
              headers:
                Cache-Control:
                  $ref: '#/components/headers/CacheControl'
                Pragma:
                  $ref: '#/components/headers/Pragma'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/TooManyHeaderFieldsError'
                  example:
                    error: Too many header fields (at most 100)
            InternalError:
              description: An unexpected server error. `requestId` matches the log line's `hb.request.id`.
              headers:
                Cache-Control:
                  $ref: '#/components/headers/CacheControl'
                Pragma:
                  $ref: '#/components/headers/Pragma'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/InternalError'
                  example:
                    error: Internal server error
                    requestId: 5f2c0a1e3b7d4c9a
            DatabaseUnavailable:
              description: |
                The database does not answer (unreachable, failing, or slower than the node's `--database-timeout`).
                Nothing is made up without it: wait `Retry-After` seconds and try again.
              headers:
                Retry-After:
                  $ref: '#/components/headers/RetryAfter'
                Cache-Control:
                  $ref: '#/components/headers/CacheControl'
                Pragma:
                  $ref: '#/components/headers/Pragma'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/UnavailableError'
                  example:
                    error: The service is temporarily unavailable; try again
            AppKeyRefused:
              description: '`Et-App-Key` is missing, unknown or revoked.'
              headers:
                Cache-Control:
                  $ref: '#/components/headers/CacheControl'
                Pragma:
                  $ref: '#/components/headers/Pragma'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/AppKeyError'
                  example:
                    error: Application key is not defined or does not exist
            AccessTokenRefused:
              description: |
                `Et-App-Key` is missing, unknown or revoked (checked first: `{"error": …}`); or the access token is
                missing, unknown, expired or revoked, an interim token or a ticket, another company's, or its user is
                disabled (`Unauthorized` in the envelope).
              headers:
                Cache-Control:
                  $ref: '#/components/headers/CacheControl'
                Pragma:
                  $ref: '#/components/headers/Pragma'
              content:
                application/json:
                  schema:
                    oneOf:
                      - $ref: '#/components/schemas/AppKeyError'
                      - $ref: '#/components/schemas/UnauthorizedEnvelope'
                  examples:
                    appKey:
                      value:
                        error: Application key is not defined or does not exist
                    token:
                      value:
                        Model: null
                        Errors: [Authorization has been denied for this request.]
                        ErrorsCode: [Unauthorized]
                        IsSucceed: false
            TicketRefused:
              description: |
                `Et-App-Key` is missing, unknown or revoked (checked first: `{"error": …}`); or the ticket is missing,
                unknown, expired, spent, for another app key, over 4096 bytes or of the wrong kind, or its user was
                disabled since (`ErrorInvalidToken` in the envelope).
              headers:
                Cache-Control:
                  $ref: '#/components/headers/CacheControl'
                Pragma:
                  $ref: '#/components/headers/Pragma'
              content:
                application/json:
                  schema:
                    oneOf:
                      - $ref: '#/components/schemas/AppKeyError'
                      - $ref: '#/components/schemas/InvalidTicketEnvelope'
                  examples:
                    appKey:
                      value:
                        error: Application key is not defined or does not exist
                    ticket:
                      value:
                        Model: null
                        Errors: ['The token is invalid, used or expired.']
                        ErrorsCode: [ErrorInvalidToken]
                        IsSucceed: false
            Busy:
              description: |
                Every password-hashing slot stayed busy for 2 s (load shedding). If the rules had passed on
                `PUT /v1.0/users/passwords/reset`, the ticket may already be spent while the password is unchanged.
                Also the answer when the database does not answer (`Retry-After: 5`, error
                `The service is temporarily unavailable; try again`).
              headers:
                Retry-After:
                  $ref: '#/components/headers/RetryAfter'
                Cache-Control:
                  $ref: '#/components/headers/CacheControl'
                Pragma:
                  $ref: '#/components/headers/Pragma'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/BusyError'
                  example:
                    error: The service is busy; try again
            EmptySuccess:
              description: Done. `Model` is `null`.
              headers:
                Cache-Control:
                  $ref: '#/components/headers/CacheControl'
                Pragma:
                  $ref: '#/components/headers/Pragma'
              content:
                application/json:
                  schema:
                    $ref: '#/components/schemas/NullEnvelope'
                  example:
                    Model: null
                    Errors: []
                    ErrorsCode: []
                    IsSucceed: true
          schemas:
            Secret:
              type: string
              description: A secret Tessera issued (access token, interim token or ticket) — 256 random bits as unpadded base64url.
              pattern: '^[A-Za-z0-9_-]{43}$'
            LoginState:
              type: string
              enum: [Succeeded, Expecting, Failed]
            LoginStep:
              type: string
              description: The steps of the flow, in order. `SecutityPin` is ETNA's spelling, kept on the wire.
              enum: [BaseAuthentication, VerificationCode, SecutityPin]
            LoginReason:
              type: string
              description: Every `Reason` of `/token`. Which ones each status can carry is listed in its schema.
              enum:
                - Expecting confirmation code
                - Expecting authenticator code
                - Expecting pin code
                - Invalid verification code
                - Invalid pin
                - Invalid credentials
                - Corrupted ticket
                - PIN code is not init
                - No channel to send the verification code
                - Too many attempts
                - Your Password has expired and must be changed
            TokenSucceeded:
              type: object
              description: '`200` of `/token`.'
              required: [State, Token]
              additionalProperties: false
              properties:
                State:
                  type: string
                  enum: [Succeeded]
                Token:
                  allOf:
                    - $ref: '#/components/schemas/Secret'
                  description: The access token.
            TokenExpecting:
              type: object
              description: |
                `202` of `/token`. The keys come in this order; `SecurityImage` (a Tessera extension) only with step
                `SecutityPin` and reason `Expecting pin code` or `Invalid pin`, for a user who chose an image.
              required: [State, Step, Reason, Token]
              additionalProperties: false
              properties:
                State:
                  type: string
                  enum: [Expecting]
                Step:
                  $ref: '#/components/schemas/LoginStep'
                Reason:
                  type: string
                  enum:
                    - Expecting confirmation code
                    - Expecting authenticator code
                    - Invalid verification code
                    - Expecting pin code
                    - Invalid pin
                    - PIN code is not init
                    - Your Password has expired and must be changed
                Token:
                  allOf:
                    - $ref: '#/components/schemas/Secret'
                  description: The interim token, or a pin-setup ticket (`PIN code is not init`) or a password-change ticket (password expired).
                SecurityImage:
                  $ref: '#/components/schemas/SecurityImage'
            SecurityImage:
              type: object
              description: The security image and phrase the user chose, shown at the PIN step.
              required: [FileName, Content, PersonalPhrase]
              additionalProperties: false
              properties:
                FileName:
                  $ref: '#/components/schemas/SecurityImageName'
                Content:
                  type: string
                  format: byte
                  description: The PNG, base64.
                PersonalPhrase:
                  type: string
                  nullable: true
                  description: The user's phrase, or `null` if they chose none.
            TokenFailed:
              type: object
              description: '`401` of `/token` for a failed login (no `Token`).'
              required: [State, Step, Reason]
              additionalProperties: false
              properties:
                State:
                  type: string
                  enum: [Failed]
                Step:
                  $ref: '#/components/schemas/LoginStep'
                Reason:
                  type: string
                  enum:
                    - Invalid credentials
                    - Corrupted ticket
                    - Invalid verification code
                    - Invalid pin
                    - No channel to send the verification code
            TokenThrottled:
              type: object
              description: '`429` of `/token`.'
              required: [State, Step, Reason]
              additionalProperties: false
              properties:
                State:
                  type: string
                  enum: [Failed]
                Step:
                  type: string
                  enum: [BaseAuthentication]
                Reason:
                  type: string
                  enum: [Too many attempts]
            AppKeyError:
              type: object
              required: [error]
              additionalProperties: false
              properties:
                error:
                  type: string
                  enum: [Application key is not defined or does not exist]
            TokenUnavailableError:
              type: object
              required: [error]
              additionalProperties: false
              properties:
                error:
                  type: string
                  enum:
                    - The verification code could not be sent; try again
                    - The service is busy; try again
                Token:
                  allOf:
                    - $ref: '#/components/schemas/Secret'
                  description: |
                    With a failed delivery only: the interim token of the login, to retry with (no code counts as sent,
                    so the retry sends one at once).
            BusyError:
              type: object
              required: [error]
              additionalProperties: false
              properties:
                error:
                  type: string
                  enum: [The service is busy; try again]
            NotReadyError:
              type: object
              required: [error]
              additionalProperties: false
              properties:
                error:
                  type: string
                  enum: [The database does not answer]
            BodyTooLargeError:
              type: object
              required: [error]
              additionalProperties: false
              properties:
                error:
                  type: string
                  enum: [The body is larger than 65536 bytes]
            TooManyHeaderFieldsError:
              type: object
              required: [error]
              additionalProperties: false
              properties:
                error:
                  type: string
                  enum: [Too many header fields (at most 100)]
            InternalError:
              type: object
              required: [error, requestId]
              additionalProperties: false
              properties:
                error:
                  type: string
                  enum: [Internal server error]
                requestId:
                  type: string
                  description: The request's id, as logged in `hb.request.id`.
            UnavailableError:
              type: object
              required: [error]
              properties:
                error:
                  type: string
            InvalidClientError:
              type: object
              required: [error]
              additionalProperties: false
              properties:
                error:
                  type: string
                  enum: [invalid_client]
            HealthStatus:
              type: object
              required: [status]
              additionalProperties: false
              properties:
                status:
                  type: string
                  enum: [ok]
            ReadyStatus:
              type: object
              required: [status]
              additionalProperties: false
              properties:
                status:
                  type: string
                  enum: [ready]
            Envelope:
              type: object
              description: |
                ETNA's `v1.0` envelope, the shape every `v1.0` success and refusal shares. `IsSucceed` is `true` exactly
                when `Errors` is empty; `Errors` and `ErrorsCode` have the same length and order. The endpoint schemas
                below type `Model` and the arrays.
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  nullable: true
                  description: Per endpoint; `null` unless the endpoint says otherwise.
                Errors:
                  type: array
                  items:
                    type: string
                ErrorsCode:
                  type: array
                  items:
                    $ref: '#/components/schemas/ErrorCode'
                IsSucceed:
                  type: boolean
            ErrorCode:
              type: string
              description: |
                The ETNA-style codes Tessera sends in `ErrorsCode`. (The code also defines `ErrorPasswordRequired`, but
                over HTTP an empty password is a missing field, answered with `ModelState`.)
              enum:
                - Unauthorized
                - ErrorInvalidToken
                - ErrorPasswordsDoNotMatch
                - ErrorPasswordTooShort
                - ErrorPasswordTooLong
                - ErrorPasswordEqualsUsername
                - ErrorPasswordTooCommon
                - ErrorPasswordSameAsCurrent
                - ErrorIncorrectPassword
                - ErrorIncorrectAnswer
                - ErrorInvalidCode
                - ErrorInvalidIdentifier
                - ErrorInvalidPin
                - ErrorUnknownImage
                - ErrorPhraseTooLong
                - ErrorSessionNotFound
                - ErrorNoPendingEnrolment
            NullModel:
              type: object
              nullable: true
              enum: [null]
              description: Always `null`.
            EmptyList:
              type: array
              maxItems: 0
              items:
                type: string
            Succeeded:
              type: boolean
              enum: [true]
            Refused:
              type: boolean
              enum: [false]
            NullEnvelope:
              type: object
              description: Success with `Model` `null`.
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  $ref: '#/components/schemas/NullModel'
                Errors:
                  $ref: '#/components/schemas/EmptyList'
                ErrorsCode:
                  $ref: '#/components/schemas/EmptyList'
                IsSucceed:
                  $ref: '#/components/schemas/Succeeded'
            UserInfo:
              type: object
              required: [UserId, FirstName, MiddleName, LastName, Login, Email, AddedDate, Salutation, Suffix]
              additionalProperties: false
              properties:
                UserId:
                  type: integer
                  format: int64
                FirstName:
                  type: string
                  nullable: true
                MiddleName:
                  type: string
                  nullable: true
                LastName:
                  type: string
                  nullable: true
                Login:
                  type: string
                  description: The username as created (NFC).
                Email:
                  type: string
                  nullable: true
                AddedDate:
                  type: string
                  format: date-time
                  description: When the user was created, ISO 8601 in UTC.
                Salutation:
                  type: string
                  nullable: true
                Suffix:
                  type: string
                  nullable: true
            UserInfoEnvelope:
              type: object
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  $ref: '#/components/schemas/UserInfo'
                Errors:
                  $ref: '#/components/schemas/EmptyList'
                ErrorsCode:
                  $ref: '#/components/schemas/EmptyList'
                IsSucceed:
                  $ref: '#/components/schemas/Succeeded'
            Session:
              type: object
              required: [Id, AppName, Created, LastSeen, Expires, ClientAddress, UserAgent, Current]
              additionalProperties: false
              properties:
                Id:
                  type: string
                  pattern: '^[0-9a-f]{24}$'
                  description: The session's public id, derived from the token (never the token or its digest).
                AppName:
                  type: string
                  description: The name of the app key the token was issued through.
                Created:
                  type: string
                  format: date-time
                LastSeen:
                  type: string
                  format: date-time
                  description: Last use on Tessera's own `v1.0` endpoints; written at most once every 5 minutes.
                Expires:
                  type: string
                  format: date-time
                ClientAddress:
                  type: string
                  nullable: true
                  description: The client address of the login that issued the token.
                UserAgent:
                  type: string
                  nullable: true
                  description: The `User-Agent` of that login, cut to 200 characters.
                Current:
                  type: boolean
                  description: '`true` for the session whose token made this call.'
            SessionsEnvelope:
              type: object
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  type: array
                  items:
                    $ref: '#/components/schemas/Session'
                Errors:
                  $ref: '#/components/schemas/EmptyList'
                ErrorsCode:
                  $ref: '#/components/schemas/EmptyList'
                IsSucceed:
                  $ref: '#/components/schemas/Succeeded'
            CountEnvelope:
              type: object
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  type: integer
                  minimum: 0
                  description: The number of sessions ended.
                Errors:
                  $ref: '#/components/schemas/EmptyList'
                ErrorsCode:
                  $ref: '#/components/schemas/EmptyList'
                IsSucceed:
                  $ref: '#/components/schemas/Succeeded'
            StringEnvelope:
              type: object
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  type: string
                  description: The secret question, or `""`.
                Errors:
                  $ref: '#/components/schemas/EmptyList'
                ErrorsCode:
                  $ref: '#/components/schemas/EmptyList'
                IsSucceed:
                  $ref: '#/components/schemas/Succeeded'
            TicketEnvelope:
              type: object
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  allOf:
                    - $ref: '#/components/schemas/Secret'
                  description: A reset-password or reset-pin ticket, per `Identifier`.
                Errors:
                  $ref: '#/components/schemas/EmptyList'
                ErrorsCode:
                  $ref: '#/components/schemas/EmptyList'
                IsSucceed:
                  $ref: '#/components/schemas/Succeeded'
            SecurityImageName:
              type: string
              enum:
                - red-circle.png
                - blue-square.png
                - green-triangle.png
                - orange-diamond.png
                - purple-ring.png
                - teal-cross.png
                - black-stripes.png
                - gold-checker.png
            SecurityImageItem:
              type: object
              required: [FileName, Content]
              additionalProperties: false
              properties:
                FileName:
                  $ref: '#/components/schemas/SecurityImageName'
                Content:
                  type: string
                  format: byte
                  description: A 48×48 PNG, base64.
            SecurityImagesEnvelope:
              type: object
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  type: array
                  minItems: 8
                  maxItems: 8
                  description: In the order of `SecurityImageName`.
                  items:
                    $ref: '#/components/schemas/SecurityImageItem'
                Errors:
                  $ref: '#/components/schemas/EmptyList'
                ErrorsCode:
                  $ref: '#/components/schemas/EmptyList'
                IsSucceed:
                  $ref: '#/components/schemas/Succeeded'
            UnauthorizedEnvelope:
              type: object
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  $ref: '#/components/schemas/NullModel'
                Errors:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items:
                    type: string
                    enum: [Authorization has been denied for this request.]
                ErrorsCode:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items:
                    type: string
                    enum: [Unauthorized]
                IsSucceed:
                  $ref: '#/components/schemas/Refused'
            InvalidTicketEnvelope:
              type: object
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  $ref: '#/components/schemas/NullModel'
                Errors:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items:
                    type: string
                    enum: ['The token is invalid, used or expired.']
                ErrorsCode:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items:
                    type: string
                    enum: [ErrorInvalidToken]
                IsSucceed:
                  $ref: '#/components/schemas/Refused'
            SessionNotFoundEnvelope:
              type: object
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  $ref: '#/components/schemas/NullModel'
                Errors:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items:
                    type: string
                    enum: [No such live session.]
                ErrorsCode:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items:
                    type: string
                    enum: [ErrorSessionNotFound]
                IsSucceed:
                  $ref: '#/components/schemas/Refused'
            PasswordRulesRefusal:
              type: object
              description: |
                Every broken password rule, in this order: `ErrorPasswordsDoNotMatch`, `ErrorPasswordTooShort` ("The
                password must have at least N characters.", N the company's minimum) or `ErrorPasswordTooLong`,
                `ErrorPasswordEqualsUsername`, `ErrorPasswordTooCommon`. `ErrorPasswordSameAsCurrent` comes alone, only
                when the other rules pass.
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  $ref: '#/components/schemas/NullModel'
                Errors:
                  type: array
                  minItems: 1
                  maxItems: 4
                  items:
                    type: string
                ErrorsCode:
                  type: array
                  minItems: 1
                  maxItems: 4
                  items:
                    type: string
                    enum:
                      - ErrorPasswordsDoNotMatch
                      - ErrorPasswordTooShort
                      - ErrorPasswordTooLong
                      - ErrorPasswordEqualsUsername
                      - ErrorPasswordTooCommon
                      - ErrorPasswordSameAsCurrent
                IsSucceed:
                  $ref: '#/components/schemas/Refused'
            PasswordChangeRefusal:
              type: object
              description: |
                `ErrorIncorrectPassword` ("The current password is incorrect.") alone, or the broken password rules as
                in `PasswordRulesRefusal`.
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  $ref: '#/components/schemas/NullModel'
                Errors:
                  type: array
                  minItems: 1
                  maxItems: 4
                  items:
                    type: string
                ErrorsCode:
                  type: array
                  minItems: 1
                  maxItems: 4
                  items:
                    type: string
                    enum:
                      - ErrorIncorrectPassword
                      - ErrorPasswordsDoNotMatch
                      - ErrorPasswordTooShort
                      - ErrorPasswordTooLong
                      - ErrorPasswordEqualsUsername
                      - ErrorPasswordTooCommon
                      - ErrorPasswordSameAsCurrent
                IsSucceed:
                  $ref: '#/components/schemas/Refused'
            PinRefusal:
              type: object
              description: |
                One of `ErrorInvalidPin` ("A PIN is 4 to 12 digits."), `ErrorUnknownImage` ("ImageName must be one of
                the security images."), `ErrorPhraseTooLong` ("The personal phrase is at most 100 characters.").
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  $ref: '#/components/schemas/NullModel'
                Errors:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items:
                    type: string
                    enum:
                      - A PIN is 4 to 12 digits.
                      - ImageName must be one of the security images.
                      - The personal phrase is at most 100 characters.
                ErrorsCode:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items:
                    type: string
                    enum: [ErrorInvalidPin, ErrorUnknownImage, ErrorPhraseTooLong]
                IsSucceed:
                  $ref: '#/components/schemas/Refused'
            IncorrectAnswerRefusal:
              type: object
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  $ref: '#/components/schemas/NullModel'
                Errors:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items:
                    type: string
                    enum: [The answer to the secret question is incorrect.]
                ErrorsCode:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items:
                    type: string
                    enum: [ErrorIncorrectAnswer]
                IsSucceed:
                  $ref: '#/components/schemas/Refused'
            ResetCodeRefusal:
              type: object
              description: |
                `ErrorInvalidIdentifier` ("Identifier must be ResetPassword or ResetPinCode.") or `ErrorInvalidCode`
                ("The code is invalid or expired.").
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  $ref: '#/components/schemas/NullModel'
                Errors:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items:
                    type: string
                    enum:
                      - Identifier must be ResetPassword or ResetPinCode.
                      - The code is invalid or expired.
                ErrorsCode:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items:
                    type: string
                    enum: [ErrorInvalidIdentifier, ErrorInvalidCode]
                IsSucceed:
                  $ref: '#/components/schemas/Refused'
            ModelState:
              type: object
              description: |
                ASP.NET's validation answer: one member per missing required field, in the order the endpoint lists
                them, named `model.<Field>` as the endpoint spells the field, each with the one message
                "The <Field> field is required.".
              required: [Message, ModelState]
              additionalProperties: false
              properties:
                Message:
                  type: string
                  enum: [The request is invalid.]
                ModelState:
                  type: object
                  minProperties: 1
                  additionalProperties:
                    type: array
                    minItems: 1
                    maxItems: 1
                    items:
                      type: string
            AuthenticatorEnrolmentEnvelope:
              type: object
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  type: object
                  required: [Url, Secret]
                  additionalProperties: false
                  properties:
                    Url:
                      type: string
                      pattern: '^otpauth://totp/'
                    Secret:
                      type: string
                      description: 20 random bytes in base32 (RFC 4648, no padding).
                      pattern: '^[A-Z2-7]{32}$'
                Errors:
                  $ref: '#/components/schemas/EmptyList'
                ErrorsCode:
                  $ref: '#/components/schemas/EmptyList'
                IsSucceed:
                  $ref: '#/components/schemas/Succeeded'
            AuthenticatorConfirmRequest:
              type: object
              required: [Code]
              properties:
                Code:
                  type: string
                  minLength: 1
                  description: The 6-digit code the authenticator app shows now.
            AuthenticatorRefusal:
              type: object
              required: [Model, Errors, ErrorsCode, IsSucceed]
              additionalProperties: false
              properties:
                Model:
                  $ref: '#/components/schemas/NullModel'
                Errors:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items:
                    type: string
                    enum:
                      - The code is invalid or expired.
                      - Start an enrolment with POST /v1.0/users/@me/totp first.
                ErrorsCode:
                  type: array
                  minItems: 1
                  maxItems: 1
                  items:
                    type: string
                    enum: [ErrorInvalidCode, ErrorNoPendingEnrolment]
                IsSucceed:
                  $ref: '#/components/schemas/Refused'
            PasswordChangeRequest:
              type: object
              required: [OldPassword, Password, PasswordConfirm]
              properties:
                OldPassword:
                  type: string
                  minLength: 1
                Password:
                  type: string
                  minLength: 1
                PasswordConfirm:
                  type: string
                  minLength: 1
                  description: Spelled `PasswordConfirm` here and `PasswordConfirmation` on `PUT /v1.0/users/passwords/reset`, as in ETNA's API.
            PasswordResetRequest:
              type: object
              required: [Token, Password, PasswordConfirmation]
              properties:
                Token:
                  type: string
                  minLength: 1
                  description: A password-change ticket (from `/token`, password expired) or a reset-password ticket.
                Password:
                  type: string
                  minLength: 1
                PasswordConfirmation:
                  type: string
                  minLength: 1
            PinChangeRequest:
              type: object
              required: [Token, Pin]
              properties:
                Token:
                  type: string
                  minLength: 1
                  description: A pin-setup ticket (from `/token`, `PIN code is not init`) or a reset-pin ticket.
                Pin:
                  type: string
                  minLength: 1
                  description: 4 to 12 ASCII digits, as a JSON string.
                ImageName:
                  allOf:
                    - $ref: '#/components/schemas/SecurityImageName'
                  description: Optional; without it the user has no security image.
                PersonalPhrase:
                  type: string
                  maxLength: 100
                  description: Optional; at most 100 characters (grapheme clusters). Shown only with an image.
            PasswordResetCodeRequest:
              type: object
              required: [User]
              properties:
                User:
                  type: string
                  minLength: 1
                SecretQuestionAnswer:
                  type: string
                  description: Needed when the user has a secret question; ignored otherwise. Compared after NFC, lower-casing and removing white space.
            ResetCodeRedeemRequest:
              type: object
              required: [Code, Identifier]
              properties:
                Code:
                  type: string
                  minLength: 1
                  description: The 6-digit code sent by `POST /v1.0/users/password/reset`.
                Identifier:
                  type: string
                  enum: [ResetPassword, ResetPinCode]
            IntrospectionRequest:
              type: object
              properties:
                token:
                  type: string
                  description: The token to check. Other fields (such as `token_type_hint`) are ignored.
            IntrospectionInactive:
              type: object
              required: [active]
              additionalProperties: false
              properties:
                active:
                  type: boolean
                  enum: [false]
            IntrospectionActive:
              type: object
              required: [active, sub, username, company, client_id, exp, iat, sid, token_type]
              additionalProperties: false
              properties:
                active:
                  type: boolean
                  enum: [true]
                sub:
                  type: string
                  description: The user's id, as a string (the `UserId` of `GET /v1.0/users/@me/info`).
                username:
                  type: string
                  description: The username as created (NFC).
                company:
                  type: string
                  description: The company's name.
                client_id:
                  type: string
                  description: The name of the app key the token was issued through (names are not unique).
                exp:
                  type: integer
                  format: int64
                  description: Expiry, in seconds since 1970 (UTC).
                iat:
                  type: integer
                  format: int64
                  description: Issue time, in seconds since 1970 (UTC).
                sid:
                  type: string
                  pattern: '^[0-9a-f]{24}$'
                  description: The session id, as in `GET /v1.0/users/@me/sessions`.
                token_type:
                  type: string
                  enum: [Bearer]
        """#
}
