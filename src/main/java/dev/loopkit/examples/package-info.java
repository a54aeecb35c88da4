/**
 * The asyncio tutorial, section by section, as runnable Vert.x code. Each class is one section; its test
 * asserts the tutorial's claim, and {@link dev.loopkit.examples.TutorialVerticle} runs them all in order
 * ({@code java -jar loopkit-fat.jar -conf conf/tutorial.json}) printing measured timings.
 *
 * <table>
 *   <caption>Sections</caption>
 *   <tr><th>section</th><th>asyncio</th><th>class</th></tr>
 *   <tr><td>a</td><td>{@code async def fetch_data} + {@code asyncio.run(main())}</td><td>{@link dev.loopkit.examples.FetchDataExample}</td></tr>
 *   <tr><td>b</td><td>{@code asyncio.gather}</td><td>{@link dev.loopkit.examples.GatherExample}</td></tr>
 *   <tr><td>c</td><td>{@code asyncio.create_task}</td><td>{@link dev.loopkit.examples.CreateTaskExample}</td></tr>
 *   <tr><td>d</td><td>{@code asyncio.wait_for}</td><td>{@link dev.loopkit.examples.WaitForExample}</td></tr>
 *   <tr><td>e</td><td>aiohttp {@code ClientSession} + gather</td><td>{@link dev.loopkit.examples.HttpFetchExample}</td></tr>
 *   <tr><td>f</td><td>gotcha: forgetting to await</td><td>{@link dev.loopkit.examples.ForgottenFutureExample}</td></tr>
 *   <tr><td>g</td><td>gotcha: blocking the event loop</td><td>{@link dev.loopkit.examples.BlockingLoopExample}</td></tr>
 *   <tr><td>h</td><td>gotcha: calling async from sync</td><td>{@link dev.loopkit.examples.AsyncFromSyncExample}</td></tr>
 * </table>
 */
package dev.loopkit.examples;
